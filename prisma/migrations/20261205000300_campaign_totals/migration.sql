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
