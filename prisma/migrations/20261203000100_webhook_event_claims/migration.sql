-- Claim-first webhook de-duplication (docs/decisions/005-webhook-boundary.md). A delivery inserts
-- its claim before the handler runs; the claim is unique by delivery id (X-Shopify-Webhook-Id,
-- the primary key) and by event id (X-Shopify-Event-Id, shared by duplicate deliveries of one
-- event) per shop and topic. "completedAt" is null while the handler runs; a failed handler
-- deletes its claim so Shopify's retry runs it again. Rows from before this migration were only
-- ever written after their handler succeeded, so they are complete.

-- AlterTable
ALTER TABLE "WebhookEvent" ADD COLUMN "eventId" TEXT;
ALTER TABLE "WebhookEvent" ADD COLUMN "completedAt" TIMESTAMP(3);
UPDATE "WebhookEvent" SET "completedAt" = "receivedAt";

-- CreateIndex
CREATE UNIQUE INDEX "WebhookEvent_shop_topic_eventId_key" ON "WebhookEvent"("shop", "topic", "eventId");

-- Shop initialisation is idempotent on every authenticated load (app/install.server.ts ensureShop):
-- "initializedAt" is written only after the shop's facts are stored and every after-install hook
-- (first sync, daily analysis, ...) has run, so a row without it is finished on the next load.
-- Shops installed before this migration went through the install hook already.

-- AlterTable
ALTER TABLE "Shop" ADD COLUMN "initializedAt" TIMESTAMP(3);
UPDATE "Shop" SET "initializedAt" = "installedAt" WHERE "currencyCode" IS NOT NULL;
