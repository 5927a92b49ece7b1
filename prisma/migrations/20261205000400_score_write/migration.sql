-- The analysis's write at 1M customers (docs/decisions/106-score-write.md).
--
-- A run replaces every score of its shop. Writing a million rows into the one shared table meant
-- deleting the previous run's million rows and maintaining six B-trees row by row (random inserts
-- into indexes far larger than shared_buffers): 110 s of the job's 150 s. Now "CustomerScore" is
-- partitioned by shop. A run COPYs its rows into a fresh table of its own, without indexes, builds
-- the indexes once each (a sort, not a million random inserts), and swaps that table in for the
-- shop's previous partition in one short transaction (app/analysis/store.ts storeCompletedRun):
-- readers see the old partition until that commit, and a run that dies before it leaves the old
-- one attached and untouched.
--
-- The existing table becomes the DEFAULT partition. It keeps every shop's scores until that shop's
-- next run (whose swap deletes them there), and takes rows written by other means (tests' and
-- benches' direct inserts). It keeps its own primary key and explorer indexes (renamed after it).
-- The parent has no index of its own: a run's partition holds one shop, so its indexes leave out
-- the shop column (narrower keys, a cheaper build) and are created by the run (store.ts
-- RUN_TABLE_INDEXES); a partitioned index would force the (shop, ...) keys on every partition.
ALTER TABLE "CustomerScore" RENAME TO "CustomerScoreDefault";
ALTER INDEX "CustomerScore_pkey" RENAME TO "CustomerScoreDefault_pkey";
ALTER INDEX "CustomerScore_shop_segment_churnRisk_customerId_idx" RENAME TO "CustomerScoreDefault_segment_churnRisk_idx";
ALTER INDEX "CustomerScore_shop_segment_totalSpent_customerId_idx" RENAME TO "CustomerScoreDefault_segment_totalSpent_idx";
ALTER INDEX "CustomerScore_shop_segment_daysSinceLast_customerId_idx" RENAME TO "CustomerScoreDefault_segment_daysSinceLast_idx";
ALTER INDEX "CustomerScore_shop_segment_pBuy_customerId_idx" RENAME TO "CustomerScoreDefault_segment_pBuy_idx";
ALTER INDEX "CustomerScore_shop_segment_predictedValue12m_customerId_idx" RENAME TO "CustomerScoreDefault_segment_predictedValue12m_idx";

CREATE TABLE "CustomerScore" (LIKE "CustomerScoreDefault" INCLUDING DEFAULTS INCLUDING GENERATED) PARTITION BY LIST ("shop");
ALTER TABLE "CustomerScore" ATTACH PARTITION "CustomerScoreDefault" DEFAULT;

-- Row-level security on the parent, as on every shop table (20261203001900_row_level_security): a
-- query through the parent is checked by the parent's policies. The default partition keeps its own;
-- a run's partition gets the same block before it is attached (store.ts).
GRANT SELECT, INSERT, UPDATE, DELETE ON "CustomerScore" TO winback_shop;
ALTER TABLE "CustomerScore" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "CustomerScore" FORCE ROW LEVEL SECURITY;
CREATE POLICY winback_shop_isolation ON "CustomerScore"
  USING (shop = current_setting('winback.shop', true)) WITH CHECK (shop = current_setting('winback.shop', true));
DO $$
BEGIN
  EXECUTE format('CREATE POLICY winback_system ON "CustomerScore" TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
