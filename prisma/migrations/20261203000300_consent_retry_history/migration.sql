-- Consent updates Shopify rejects are kept for the merchant and retried (docs/decisions/074-release-readiness.md):
-- the Shopify userError's code and when it came, and how many times the update was tried.
-- "shopifyError" keeps holding the message.

-- AlterTable
ALTER TABLE "EmailSuppression" ADD COLUMN "shopifyErrorCode" TEXT;
ALTER TABLE "EmailSuppression" ADD COLUMN "shopifyErrorAt" TIMESTAMP(3);
ALTER TABLE "EmailSuppression" ADD COLUMN "shopifyAttempts" INTEGER NOT NULL DEFAULT 0;

-- History depth (an app without read_all_orders sees only the last 60 days of orders): the oldest
-- order a completed initial sync brought in, computed once per run (a full scan of the shop's orders
-- is too slow for every page load).

-- AlterTable
ALTER TABLE "SyncRun" ADD COLUMN "oldestOrderAt" TIMESTAMP(3);
ALTER TABLE "SyncRun" ADD COLUMN "historyCheckedAt" TIMESTAMP(3);

-- Protected customer data: what Shopify withholds from the app (probed with a small query, at most
-- every few hours; app/shopify/protected-data.ts), for the merchant's banner.

-- AlterTable
ALTER TABLE "Shop" ADD COLUMN "protectedDataAccess" JSONB;
ALTER TABLE "Shop" ADD COLUMN "protectedDataCheckedAt" TIMESTAMP(3);
