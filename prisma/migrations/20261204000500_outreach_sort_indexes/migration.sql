-- Outreach queue sorts at 50,000 tasks (docs/decisions/098-scoped-requests-and-jobs.md, after ADR 086):
-- one index per sort key and direction, on exactly the expression app/outreach/store.ts orders by
-- (queueSortKey: a missing value coalesces to +infinity ascending and -infinity descending, so it sorts
-- last either way), then the task id in "C" order, the tie-break. A page is then a range read of the
-- index instead of a top-N sort of every wide task row; the raw columns are INCLUDEd so the page's ids
-- can come from an index-only scan (the planner wants the expression's columns in the index for that).
CREATE INDEX "OutreachTask_shop_due_desc_idx" ON "OutreachTask"("shop", (coalesce("nextDueAt", '-infinity'::timestamp)), ("id" COLLATE "C")) INCLUDE ("nextDueAt");
CREATE INDEX "OutreachTask_shop_spend_idx" ON "OutreachTask"("shop", (coalesce("customerSpent"::float8, 'infinity'::float8)), ("id" COLLATE "C")) INCLUDE ("customerSpent");
CREATE INDEX "OutreachTask_shop_spend_desc_idx" ON "OutreachTask"("shop", (coalesce("customerSpent"::float8, '-infinity'::float8)), ("id" COLLATE "C")) INCLUDE ("customerSpent");
CREATE INDEX "OutreachTask_shop_lastOrder_idx" ON "OutreachTask"("shop", (coalesce("customerLastOrderAt", 'infinity'::timestamp)), ("id" COLLATE "C")) INCLUDE ("customerLastOrderAt");
CREATE INDEX "OutreachTask_shop_lastOrder_desc_idx" ON "OutreachTask"("shop", (coalesce("customerLastOrderAt", '-infinity'::timestamp)), ("id" COLLATE "C")) INCLUDE ("customerLastOrderAt");
CREATE INDEX "OutreachTask_shop_name_idx" ON "OutreachTask"("shop", ("nameKey" COLLATE "C"), ("id" COLLATE "C"));
-- The status sort ranks by the queue's fixed status order (app/outreach/list-queue.ts STATUS_ORDER), inlined.
CREATE INDEX "OutreachTask_shop_status_rank_idx" ON "OutreachTask"("shop", (CASE "status" WHEN 'escalated' THEN 1 WHEN 'follow_up_due' THEN 2 WHEN 'to_contact' THEN 3 WHEN 'contacted' THEN 4 WHEN 'responded' THEN 5 WHEN 'won_back' THEN 6 ELSE 0 END), ("id" COLLATE "C")) INCLUDE ("status");
-- The campaign filter and the campaign sort (one campaign's tasks in id order).
CREATE INDEX "OutreachTask_shop_campaign_id_idx" ON "OutreachTask"("shop", "campaignId", ("id" COLLATE "C"));
