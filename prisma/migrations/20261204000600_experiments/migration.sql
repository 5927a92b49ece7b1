-- Offer experiments (docs/decisions/099-offer-experiments.md, issue 15 item 4). No new table: an
-- experiment is a campaign's definition of 2–4 offer arms, and each treated Standard member's arm.
-- Both live on the campaign tables the campaigns feature owns, so the existing row-level security
-- of "Campaign" and "CampaignMember" covers them.

-- The arms (offer, optional subject), the metric and the revenue scale fixed at launch; null: no experiment.
ALTER TABLE "Campaign" ADD COLUMN "experiment" JSONB;

-- The member's arm ('A'..'D'), from a per-customer hash at the member snapshot; null for holdout
-- members, VIPs and campaigns without an experiment.
ALTER TABLE "CampaignMember" ADD COLUMN "arm" TEXT;
