-- Engagement with sent emails (docs/decisions/093-engagement-tracking.md): one row per open-pixel
-- load or click redirect, owned by messaging (app/messaging/store.ts). Every click is a row (total
-- clicks); unique clicks are distinct messages. `machine` marks opens and clicks made by a proxy
-- or scanner (Apple Mail Privacy Protection, Google Image Proxy, link scanners): stored, not
-- counted as interest. Only the User-Agent's class is kept, never the string or an IP address.
CREATE TABLE "EmailEngagement" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "messageLogId" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "campaignId" TEXT,
    "kind" TEXT NOT NULL,
    "linkIndex" INTEGER,
    "link" TEXT,
    "machine" BOOLEAN NOT NULL DEFAULT false,
    "userAgentClass" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    -- kind is 'open' | 'click', typed in the one writer (store.ts recordEngagement); no CHECK, like
    -- the other status columns of the schema (Prisma cannot express one either).
    CONSTRAINT "EmailEngagement_pkey" PRIMARY KEY ("id")
);

-- Per message (profile badges), per campaign (counts) and per customer (last click, redaction).
CREATE INDEX "EmailEngagement_messageLogId_kind_idx" ON "EmailEngagement"("messageLogId", "kind");
CREATE INDEX "EmailEngagement_campaignId_kind_idx" ON "EmailEngagement"("campaignId", "kind");
CREATE INDEX "EmailEngagement_shop_customerId_at_idx" ON "EmailEngagement"("shop", "customerId", "at");

-- Row-level security like every shop table (migration 20261203001900_row_level_security, ADR 089).
GRANT SELECT, INSERT, UPDATE, DELETE ON "EmailEngagement" TO winback_shop;
ALTER TABLE "EmailEngagement" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "EmailEngagement" FORCE ROW LEVEL SECURITY;
CREATE POLICY winback_shop_isolation ON "EmailEngagement"
  USING ("shop" = current_setting('winback.shop', true)) WITH CHECK ("shop" = current_setting('winback.shop', true));
DO $$
BEGIN
  EXECUTE format('CREATE POLICY winback_system ON "EmailEngagement" TO %I USING (true) WITH CHECK (true)', current_user);
END
$$;
