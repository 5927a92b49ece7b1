-- The analysis job at 1M customers (docs/decisions/096-analysis-off-the-event-loop.md).
--
-- Every analysis run replaces all of a shop's scores, so every index on "CustomerScore" is
-- maintained for every row of every run. ADR 086 gave each (filter, sort) pair of the segment
-- explorer an index of its own: 31 indexes, 2 GB for a 230 MB table at a million customers, and a
-- run's write of 200,000 rows took 388 s of index maintenance. The filters are five columns with
-- few values (lapse class, VIP, overdue, target, branch = target's VIP/Standard split), so one
-- small code, "segment", names every combination of the first four (4 x 2 x 2 x 2 = 32 values),
-- and ONE index per sort, (shop, segment, sort, customerId), serves every filter: the explorer
-- (app/analysis/store.ts scorePage) reads each segment code the filter admits as its own index
-- range in sort order and merges them (UNION ALL under ORDER BY ... LIMIT: a Merge Append of index
-- scans), so a page still reads about its own rows whatever the filter. 5 indexes plus the primary
-- key instead of 31.
ALTER TABLE "CustomerScore" ADD COLUMN "segment" SMALLINT GENERATED ALWAYS AS (
  (CASE "lapseClass" WHEN 'active' THEN 0 WHEN 'at_risk' THEN 8 WHEN 'high_risk' THEN 16 ELSE 24 END)
  + (CASE WHEN "vip" THEN 4 ELSE 0 END) + (CASE WHEN "overdue" THEN 2 ELSE 0 END) + (CASE WHEN "target" THEN 1 ELSE 0 END)
) STORED;

DROP INDEX IF EXISTS "CustomerScore_shop_target_branch_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_churnRisk_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_daysSinceLast_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_totalSpent_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_pBuy_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_predictedValue12m_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_lapseClass_churnRisk_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_lapseClass_totalSpent_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_lapseClass_daysSinceLast_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_lapseClass_pBuy_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_lapseClass_predictedValue12m_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_vip_churnRisk_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_vip_totalSpent_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_vip_daysSinceLast_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_vip_pBuy_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_vip_predictedValue12m_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_overdue_churnRisk_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_overdue_totalSpent_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_overdue_daysSinceLast_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_overdue_pBuy_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_overdue_predictedValue12m_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_target_churnRisk_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_target_totalSpent_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_target_daysSinceLast_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_target_pBuy_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_target_predictedValue12m_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_branch_churnRisk_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_branch_totalSpent_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_branch_daysSinceLast_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_branch_pBuy_customerId_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_branch_predictedValue12m_customerId_idx";

CREATE INDEX "CustomerScore_shop_segment_churnRisk_customerId_idx" ON "CustomerScore"("shop", "segment", "churnRisk", "customerId");
CREATE INDEX "CustomerScore_shop_segment_totalSpent_customerId_idx" ON "CustomerScore"("shop", "segment", "totalSpent", "customerId");
CREATE INDEX "CustomerScore_shop_segment_daysSinceLast_customerId_idx" ON "CustomerScore"("shop", "segment", "daysSinceLast", "customerId");
CREATE INDEX "CustomerScore_shop_segment_pBuy_customerId_idx" ON "CustomerScore"("shop", "segment", (COALESCE("pBuy", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_segment_predictedValue12m_customerId_idx" ON "CustomerScore"("shop", "segment", (COALESCE("predictedValue12m", -1)), "customerId");
