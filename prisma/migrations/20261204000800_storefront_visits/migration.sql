-- Storefront visits of logged-in customers (docs/decisions/102-visits-codes-and-won-back-health.md):
-- one row per visit the theme app embed reports through the app proxy (/apps/winback/visit), only
-- where Shopify's Customer Privacy API allows analytics. The customer comes from Shopify's signed
-- `logged_in_customer_id`, never from the page. Owned by messaging (app/messaging/store.ts), next
-- to EmailEngagement: a visit is tied to the message whose link brought the customer (the `wb`
-- parameter of the click redirect, or the customer's click in the 30 minutes before), else null.
-- Deduplicated per customer and 30 minutes by the one writer; only the path is kept (no query
-- string, no IP address, no User-Agent).
CREATE TABLE "StorefrontVisit" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "messageLogId" TEXT,
    "campaignId" TEXT,
    "path" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StorefrontVisit_pkey" PRIMARY KEY ("id")
);

-- Per customer (dedupe window, last visit, visits in 30 days, redaction), per message and per campaign.
CREATE INDEX "StorefrontVisit_shop_customerId_at_idx" ON "StorefrontVisit"("shop", "customerId", "at");
CREATE INDEX "StorefrontVisit_messageLogId_idx" ON "StorefrontVisit"("messageLogId");
CREATE INDEX "StorefrontVisit_campaignId_idx" ON "StorefrontVisit"("campaignId");

-- Row-level security like every shop table (migration 20261203001900_row_level_security, ADR 089).
GRANT SELECT, INSERT, UPDATE, DELETE ON "StorefrontVisit" TO winback_shop;
ALTER TABLE "StorefrontVisit" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "StorefrontVisit" FORCE ROW LEVEL SECURITY;
CREATE POLICY winback_shop_isolation ON "StorefrontVisit"
  USING ("shop" = current_setting('winback.shop', true)) WITH CHECK ("shop" = current_setting('winback.shop', true));
DO $$
BEGIN
  EXECUTE format('CREATE POLICY winback_system ON "StorefrontVisit" TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
