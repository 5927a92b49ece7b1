-- Launch and campaign page at 400,000 members (docs/decisions/094-launch-at-scale.md).
-- The campaign page measures the orders of its reactivation window joined to the member table
-- (app/sync/store/purchases.ts purchaseTotalsByGroup): this index reads the shop's orders of the
-- window as one range instead of probing the orders of every member.
CREATE INDEX "Order_shop_processedAt_idx" ON "Order"("shop", "processedAt");

-- Exit reasons per campaign (the page's exits list): a handful of rows read from a small partial
-- index instead of a scan of every member.
CREATE INDEX "CampaignMember_campaignId_exitReason_idx" ON "CampaignMember"("campaignId", "exitReason") WHERE "exitedAt" IS NOT NULL;
