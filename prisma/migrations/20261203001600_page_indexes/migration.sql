-- Merchant pages at scale (docs/decisions/086-pages-at-scale.md).

-- Segment explorer: every (filter, sort) pair pages by keyset on (filter, sort value, customer id), so
-- each page reads its 50 rows from one index range instead of walking a sort index past every row the
-- filter rejects (the filters correlate with the sorts: "active" sorted by churn risk descending sits
-- at the far end of the churn index). One index per sort without a filter, one per sort for each filter.
DROP INDEX IF EXISTS "CustomerScore_shop_totalSpent_idx";
DROP INDEX IF EXISTS "CustomerScore_shop_lapseClass_churnRisk_idx";
CREATE INDEX "CustomerScore_shop_totalSpent_customerId_idx" ON "CustomerScore"("shop", "totalSpent", "customerId");
CREATE INDEX "CustomerScore_shop_pBuy_customerId_idx" ON "CustomerScore"("shop", (COALESCE("pBuy", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_predictedValue12m_customerId_idx" ON "CustomerScore"("shop", (COALESCE("predictedValue12m", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_lapseClass_churnRisk_customerId_idx" ON "CustomerScore"("shop", "lapseClass", "churnRisk", "customerId");
CREATE INDEX "CustomerScore_shop_lapseClass_totalSpent_customerId_idx" ON "CustomerScore"("shop", "lapseClass", "totalSpent", "customerId");
CREATE INDEX "CustomerScore_shop_lapseClass_daysSinceLast_customerId_idx" ON "CustomerScore"("shop", "lapseClass", "daysSinceLast", "customerId");
CREATE INDEX "CustomerScore_shop_lapseClass_pBuy_customerId_idx" ON "CustomerScore"("shop", "lapseClass", (COALESCE("pBuy", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_lapseClass_predictedValue12m_customerId_idx" ON "CustomerScore"("shop", "lapseClass", (COALESCE("predictedValue12m", -1)), "customerId");
-- VIP, overdue and target correlate with the sorts as strongly (VIPs are the top of the spend index, the
-- overdue the top of the days index): walking a sort index for "VIP by spend ascending" passed 950,000
-- rows (19 s) before these. Branch is set only on targets, so its indexes hold only those rows.
CREATE INDEX "CustomerScore_shop_vip_churnRisk_customerId_idx" ON "CustomerScore"("shop", "vip", "churnRisk", "customerId");
CREATE INDEX "CustomerScore_shop_vip_totalSpent_customerId_idx" ON "CustomerScore"("shop", "vip", "totalSpent", "customerId");
CREATE INDEX "CustomerScore_shop_vip_daysSinceLast_customerId_idx" ON "CustomerScore"("shop", "vip", "daysSinceLast", "customerId");
CREATE INDEX "CustomerScore_shop_vip_pBuy_customerId_idx" ON "CustomerScore"("shop", "vip", (COALESCE("pBuy", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_vip_predictedValue12m_customerId_idx" ON "CustomerScore"("shop", "vip", (COALESCE("predictedValue12m", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_overdue_churnRisk_customerId_idx" ON "CustomerScore"("shop", "overdue", "churnRisk", "customerId");
CREATE INDEX "CustomerScore_shop_overdue_totalSpent_customerId_idx" ON "CustomerScore"("shop", "overdue", "totalSpent", "customerId");
CREATE INDEX "CustomerScore_shop_overdue_daysSinceLast_customerId_idx" ON "CustomerScore"("shop", "overdue", "daysSinceLast", "customerId");
CREATE INDEX "CustomerScore_shop_overdue_pBuy_customerId_idx" ON "CustomerScore"("shop", "overdue", (COALESCE("pBuy", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_overdue_predictedValue12m_customerId_idx" ON "CustomerScore"("shop", "overdue", (COALESCE("predictedValue12m", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_target_churnRisk_customerId_idx" ON "CustomerScore"("shop", "target", "churnRisk", "customerId");
CREATE INDEX "CustomerScore_shop_target_totalSpent_customerId_idx" ON "CustomerScore"("shop", "target", "totalSpent", "customerId");
CREATE INDEX "CustomerScore_shop_target_daysSinceLast_customerId_idx" ON "CustomerScore"("shop", "target", "daysSinceLast", "customerId");
CREATE INDEX "CustomerScore_shop_target_pBuy_customerId_idx" ON "CustomerScore"("shop", "target", (COALESCE("pBuy", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_target_predictedValue12m_customerId_idx" ON "CustomerScore"("shop", "target", (COALESCE("predictedValue12m", -1)), "customerId");
CREATE INDEX "CustomerScore_shop_branch_churnRisk_customerId_idx" ON "CustomerScore"("shop", "branch", "churnRisk", "customerId") WHERE "branch" IS NOT NULL;
CREATE INDEX "CustomerScore_shop_branch_totalSpent_customerId_idx" ON "CustomerScore"("shop", "branch", "totalSpent", "customerId") WHERE "branch" IS NOT NULL;
CREATE INDEX "CustomerScore_shop_branch_daysSinceLast_customerId_idx" ON "CustomerScore"("shop", "branch", "daysSinceLast", "customerId") WHERE "branch" IS NOT NULL;
CREATE INDEX "CustomerScore_shop_branch_pBuy_customerId_idx" ON "CustomerScore"("shop", "branch", (COALESCE("pBuy", -1)), "customerId") WHERE "branch" IS NOT NULL;
CREATE INDEX "CustomerScore_shop_branch_predictedValue12m_customerId_idx" ON "CustomerScore"("shop", "branch", (COALESCE("predictedValue12m", -1)), "customerId") WHERE "branch" IS NOT NULL;

-- Outreach queue: search and sort run in SQL on the task row. The customer fields they use (owned by
-- the sync's Customer table, which outreach may not join) are kept on the task as a snapshot, written
-- at creation and refreshed after each sync and order change (app/outreach/refresh-contacts.ts); keys
-- are lower-cased in JS so the order is the code-point order the in-memory sort used.
ALTER TABLE "OutreachTask"
  ADD COLUMN "contactName" TEXT NOT NULL DEFAULT '',
  ADD COLUMN "nameKey" TEXT NOT NULL DEFAULT '',
  ADD COLUMN "emailKey" TEXT NOT NULL DEFAULT '',
  ADD COLUMN "phoneDigits" TEXT NOT NULL DEFAULT '',
  ADD COLUMN "customerSpent" DECIMAL(14,2),
  ADD COLUMN "customerLastOrderAt" TIMESTAMP(3),
  ADD COLUMN "nextDueAt" TIMESTAMP(3) GENERATED ALWAYS AS (
    CASE WHEN "status" = 'to_contact' THEN "dueAt" WHEN "status" IN ('contacted', 'follow_up_due') THEN "followUpAt" END
  ) STORED;

UPDATE "OutreachTask" t SET
  "contactName" = btrim(coalesce(c."firstName", '') || ' ' || coalesce(c."lastName", '')),
  "nameKey" = lower(btrim(coalesce(c."firstName", '') || ' ' || coalesce(c."lastName", ''))),
  "emailKey" = lower(coalesce(c.email, '')),
  "phoneDigits" = regexp_replace(coalesce(c.phone, ''), '\D', '', 'g'),
  "customerSpent" = c."totalSpent",
  "customerLastOrderAt" = c."lastOrderAt"
FROM "Customer" c WHERE c.shop = t.shop AND c.id = t."customerId";

-- The queue page's counts (total, per status and overdue, concierges) read these narrow indexes instead of
-- the wide task rows (scripts, history); the default order (next due, then id) reads its page from an index.
CREATE INDEX "OutreachTask_shop_status_nextDueAt_idx" ON "OutreachTask"("shop", "status", "nextDueAt");
CREATE INDEX "OutreachTask_shop_concierge_idx" ON "OutreachTask"("shop", (coalesce(nullif("conciergeName", ''), "conciergeRole")));
CREATE INDEX "OutreachTask_shop_due_id_idx" ON "OutreachTask"("shop", (coalesce("nextDueAt", 'infinity'::timestamp)), ("id" COLLATE "C"));
