-- Finished webhook claims are pruned by age across all shops (app/webhooks/claims.ts pruneClaims):
-- an index on "receivedAt" alone keeps each bounded batch an index range scan.

-- CreateIndex
CREATE INDEX "WebhookEvent_receivedAt_idx" ON "WebhookEvent"("receivedAt");
