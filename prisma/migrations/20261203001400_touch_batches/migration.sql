-- Touch batching (ADR 084): a launch enqueues one job per campaign, day and batch instead of one
-- per touch. "batch" groups a day's touches (numbered per campaign and day, TOUCH_BATCH_SIZE rows
-- each); the batch job runs the touches of its batch that are due. "notBefore" is when a deferred
-- touch (frequency cap) may be asked again: the batch job re-arms itself for the earliest one.
-- Touches written before this migration have no batch and keep their per-touch jobs.
ALTER TABLE "CampaignTouch" ADD COLUMN "batch" INTEGER;
ALTER TABLE "CampaignTouch" ADD COLUMN "notBefore" TIMESTAMP(3);

-- A launch writes about a million touch rows and every index is maintained per row: the batch job's
-- lookup (campaign, scheduled, day, batch) extends the (campaign, state) index instead of adding
-- one, whose prefix still serves the state counts; (shop, customer) is a prefix of (shop, customer,
-- state) and goes.
DROP INDEX "CampaignTouch_campaignId_state_idx";
CREATE INDEX "CampaignTouch_campaignId_state_day_batch_idx" ON "CampaignTouch" ("campaignId", "state", "day", "batch");
DROP INDEX "CampaignTouch_shop_customerId_idx";

-- A launch interrupted before this migration left touches without a job: they join batch 0 of their
-- day, so the resumed launch (which enqueues the pending batches) sends them.
UPDATE "CampaignTouch" SET "batch" = 0 WHERE "state" = 'scheduled' AND "jobId" IS NULL;
