-- CreateTable
CREATE TABLE "MessageLog" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "campaignId" TEXT,
    "status" TEXT NOT NULL,
    "reason" TEXT,
    "messageId" TEXT,
    "toAddress" TEXT,
    "subject" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "sentAt" TIMESTAMP(3),
    "error" TEXT,

    CONSTRAINT "MessageLog_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EmailSuppression" (
    "shop" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "email" TEXT,
    "source" TEXT NOT NULL,
    "campaignId" TEXT,
    "messageLogId" TEXT,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "shopifySyncedAt" TIMESTAMP(3),
    "shopifyError" TEXT,

    CONSTRAINT "EmailSuppression_pkey" PRIMARY KEY ("shop","customerId")
);

-- CreateTable
CREATE TABLE "EmailFeedback" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "messageLogId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "campaignId" TEXT,
    "type" TEXT NOT NULL,
    "detail" TEXT,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EmailFeedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FlowTriggerLog" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "customerId" BIGINT,
    "handle" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "firedAt" TIMESTAMP(3),
    "error" TEXT,

    CONSTRAINT "FlowTriggerLog_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "MessageLog_shop_dedupeKey_key" ON "MessageLog"("shop", "dedupeKey");

-- CreateIndex
CREATE UNIQUE INDEX "MessageLog_messageId_key" ON "MessageLog"("messageId");

-- CreateIndex
CREATE INDEX "MessageLog_shop_customerId_kind_sentAt_idx" ON "MessageLog"("shop", "customerId", "kind", "sentAt");

-- CreateIndex
CREATE INDEX "MessageLog_campaignId_status_idx" ON "MessageLog"("campaignId", "status");

-- CreateIndex
CREATE INDEX "EmailSuppression_shop_email_idx" ON "EmailSuppression"("shop", "email");

-- CreateIndex
CREATE INDEX "EmailSuppression_campaignId_idx" ON "EmailSuppression"("campaignId");

-- CreateIndex
CREATE UNIQUE INDEX "EmailFeedback_messageId_type_key" ON "EmailFeedback"("messageId", "type");

-- CreateIndex
CREATE INDEX "EmailFeedback_campaignId_type_idx" ON "EmailFeedback"("campaignId", "type");

-- CreateIndex
CREATE INDEX "EmailFeedback_shop_customerId_idx" ON "EmailFeedback"("shop", "customerId");

-- CreateIndex
CREATE UNIQUE INDEX "FlowTriggerLog_shop_dedupeKey_key" ON "FlowTriggerLog"("shop", "dedupeKey");

-- CreateIndex
CREATE INDEX "FlowTriggerLog_shop_customerId_idx" ON "FlowTriggerLog"("shop", "customerId");
