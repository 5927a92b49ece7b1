-- A campaign's measurement kept up to date as orders arrive (docs/decisions/105-campaign-totals.md).
-- The campaign page summed the reactivation window's orders joined to every member on each view
-- (ADR 094: p95 888 ms at 400,000 members). Now each member carries its own window figures, written
-- in the transaction that stores the order (webhook or sync merge), and "CampaignTotals" holds their
-- sums per arm, branch and day of first order, changed by the difference the member's row made.
-- Owned by campaigns (app/campaigns/store/totals.ts).

-- The member's qualifying orders in the campaign's window as of the last order change that touched
-- them: first order (null: none yet), their total, and the orders that used the campaign's code.
ALTER TABLE "CampaignMember" ADD COLUMN "windowFirstOrderAt" TIMESTAMP(3);
ALTER TABLE "CampaignMember" ADD COLUMN "windowRevenue" DECIMAL NOT NULL DEFAULT 0;
ALTER TABLE "CampaignMember" ADD COLUMN "windowRedemptions" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "CampaignMember" ADD COLUMN "windowRedeemedTotal" DECIMAL NOT NULL DEFAULT 0;

-- When the totals were last recomputed from scratch (the launch's snapshot, the reconciliation after
-- a sync); null: never, so the first reader computes them.
ALTER TABLE "Campaign" ADD COLUMN "totalsCheckedAt" TIMESTAMP(3);

-- Σ over the members of one arm and branch whose first window order fell on `day` (whole days from
-- the launch; -1: no order in the window yet, so Σ customers over every day is the arm's size).
CREATE TABLE "CampaignTotals" (
    "campaignId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "holdout" BOOLEAN NOT NULL,
    "branch" TEXT NOT NULL,
    "day" INTEGER NOT NULL,
    "customers" INTEGER NOT NULL DEFAULT 0,
    "revenue" DECIMAL NOT NULL DEFAULT 0,
    "revenueSq" DECIMAL NOT NULL DEFAULT 0,
    "redemptions" INTEGER NOT NULL DEFAULT 0,
    "redeemedTotal" DECIMAL NOT NULL DEFAULT 0,

    CONSTRAINT "CampaignTotals_pkey" PRIMARY KEY ("campaignId", "holdout", "branch", "day")
);
CREATE INDEX "CampaignTotals_shop_idx" ON "CampaignTotals"("shop");

-- Row-level security like every shop table (migration 20261203001900_row_level_security, ADR 089).
GRANT SELECT, INSERT, UPDATE, DELETE ON "CampaignTotals" TO winback_shop;
ALTER TABLE "CampaignTotals" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "CampaignTotals" FORCE ROW LEVEL SECURITY;
CREATE POLICY winback_shop_isolation ON "CampaignTotals"
  USING ("shop" = current_setting('winback.shop', true)) WITH CHECK ("shop" = current_setting('winback.shop', true));
DO $$
BEGIN
  EXECUTE format('CREATE POLICY winback_system ON "CampaignTotals" TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;

-- The page's touch figures (states, and sent per step variant) were a count over the campaign's
-- touches on every view: about a million rows at 400,000 targets. A statement-level trigger keeps
-- them per (campaign, state, day, variant, Flow-only) in the transaction that changes the touches,
-- one grouped upsert per statement whatever its row count (the launch writes a million touches in two).
CREATE TABLE "CampaignTouchCount" (
    "campaignId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "day" INTEGER NOT NULL,
    -- '' for a touch without a variant (a step that does not branch)
    "variant" TEXT NOT NULL,
    -- sent as the Flow trigger instead of an email (reason 'flow_only')
    "flowOnly" BOOLEAN NOT NULL,
    "n" INTEGER NOT NULL,

    CONSTRAINT "CampaignTouchCount_pkey" PRIMARY KEY ("campaignId", "state", "day", "variant", "flowOnly")
);
CREATE INDEX "CampaignTouchCount_shop_idx" ON "CampaignTouchCount"("shop");

GRANT SELECT, INSERT, UPDATE, DELETE ON "CampaignTouchCount" TO winback_shop;
ALTER TABLE "CampaignTouchCount" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "CampaignTouchCount" FORCE ROW LEVEL SECURITY;
CREATE POLICY winback_shop_isolation ON "CampaignTouchCount"
  USING ("shop" = current_setting('winback.shop', true)) WITH CHECK ("shop" = current_setting('winback.shop', true));
DO $$
BEGIN
  EXECUTE format('CREATE POLICY winback_system ON "CampaignTouchCount" TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;

-- Rows in key order, so concurrent statements of one campaign wait on each other's count rows in
-- the same order instead of deadlocking; rows whose count does not change are not written.
CREATE FUNCTION winback_campaign_touch_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "CampaignTouchCount" AS c ("campaignId", shop, state, day, variant, "flowOnly", n)
    SELECT "campaignId", min(shop), state, day, coalesce(variant, ''), coalesce(reason = 'flow_only', false), count(*)::int
      FROM new_rows GROUP BY 1, 3, 4, 5, 6 ORDER BY 1, 3, 4, 5, 6
    ON CONFLICT ("campaignId", state, day, variant, "flowOnly") DO UPDATE SET n = c.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE "CampaignTouchCount" c SET n = c.n - d.n
      FROM (SELECT "campaignId", state, day, coalesce(variant, '') AS variant, coalesce(reason = 'flow_only', false) AS "flowOnly", count(*)::int AS n
              FROM old_rows GROUP BY 1, 2, 3, 4, 5) d
     WHERE c."campaignId" = d."campaignId" AND c.state = d.state AND c.day = d.day AND c.variant = d.variant AND c."flowOnly" = d."flowOnly";
  ELSE
    INSERT INTO "CampaignTouchCount" AS c ("campaignId", shop, state, day, variant, "flowOnly", n)
    SELECT "campaignId", min(shop), state, day, variant, "flowOnly", sum(n)::int
      FROM (SELECT "campaignId", shop, state, day, coalesce(variant, '') AS variant, coalesce(reason = 'flow_only', false) AS "flowOnly", 1 AS n FROM new_rows
            UNION ALL
            SELECT "campaignId", shop, state, day, coalesce(variant, ''), coalesce(reason = 'flow_only', false), -1 FROM old_rows) d
     GROUP BY 1, 3, 4, 5, 6 HAVING sum(n) <> 0 ORDER BY 1, 3, 4, 5, 6
    ON CONFLICT ("campaignId", state, day, variant, "flowOnly") DO UPDATE SET n = c.n + excluded.n;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER "CampaignTouch_count_insert" AFTER INSERT ON "CampaignTouch"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION winback_campaign_touch_count();
CREATE TRIGGER "CampaignTouch_count_update" AFTER UPDATE ON "CampaignTouch"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION winback_campaign_touch_count();
CREATE TRIGGER "CampaignTouch_count_delete" AFTER DELETE ON "CampaignTouch"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION winback_campaign_touch_count();

-- The touches that exist already.
INSERT INTO "CampaignTouchCount" ("campaignId", shop, state, day, variant, "flowOnly", n)
SELECT "campaignId", min(shop), state, day, coalesce(variant, ''), coalesce(reason = 'flow_only', false), count(*)::int
  FROM "CampaignTouch" GROUP BY 1, 3, 4, 5, 6;
