-- Campaign integrity (ADR 077): a holdout member is protected from every other campaign until its
-- measurement window closes; a campaign can be stopped for good; touches falling due while a
-- campaign is paused are held (state 'held') and sent on resume.
ALTER TABLE "CampaignMember" ADD COLUMN "holdoutUntil" TIMESTAMP(3);

UPDATE "CampaignMember" m
SET "holdoutUntil" = m."assignedAt" + make_interval(days => coalesce((c.settings ->> 'reactivationWindowDays')::int, 30))
FROM "Campaign" c
WHERE c.id = m."campaignId" AND m.holdout AND m."holdoutUntil" IS NULL;

ALTER TABLE "Campaign" ADD COLUMN "stoppedAt" TIMESTAMP(3);

CREATE INDEX "CampaignTouch_shop_customerId_state_idx" ON "CampaignTouch" ("shop", "customerId", "state");
