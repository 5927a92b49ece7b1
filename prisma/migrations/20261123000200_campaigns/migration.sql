-- CreateTable
CREATE TABLE "Campaign" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "settings" JSONB NOT NULL,
    "launchAt" TIMESTAMP(3),
    "endsAt" TIMESTAMP(3),
    "tag" TEXT NOT NULL,
    "segmentId" TEXT,
    "discountId" TEXT,
    "discountCode" TEXT NOT NULL,
    "discountEndsAt" TIMESTAMP(3),
    "launchSteps" JSONB NOT NULL DEFAULT '{}',
    "launchError" TEXT,
    "launchErrorDetails" JSONB,
    "pausedReason" TEXT,
    "pausedAt" TIMESTAMP(3),
    "guardrail" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Campaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignMember" (
    "campaignId" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "shop" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "holdout" BOOLEAN NOT NULL,
    "assignedAt" TIMESTAMP(3) NOT NULL,
    "taggedAt" TIMESTAMP(3),
    "exitedAt" TIMESTAMP(3),
    "exitReason" TEXT,
    "reactivatedAt" TIMESTAMP(3),
    "reactivationOrderId" BIGINT,

    CONSTRAINT "CampaignMember_pkey" PRIMARY KEY ("campaignId","customerId")
);

-- CreateTable
CREATE TABLE "CampaignTouch" (
    "campaignId" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "day" INTEGER NOT NULL,
    "shop" TEXT NOT NULL,
    "step" INTEGER NOT NULL,
    "branch" TEXT NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'scheduled',
    "reason" TEXT,
    "messageId" TEXT,
    "flowFired" BOOLEAN NOT NULL DEFAULT false,
    "jobId" TEXT,
    "attemptedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CampaignTouch_pkey" PRIMARY KEY ("campaignId","customerId","day")
);

-- CreateIndex
CREATE INDEX "Campaign_shop_createdAt_idx" ON "Campaign"("shop", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Campaign_shop_discountCode_key" ON "Campaign"("shop", "discountCode");

-- CreateIndex
CREATE INDEX "CampaignMember_shop_customerId_idx" ON "CampaignMember"("shop", "customerId");

-- CreateIndex
CREATE INDEX "CampaignMember_campaignId_holdout_branch_idx" ON "CampaignMember"("campaignId", "holdout", "branch");

-- CreateIndex
CREATE INDEX "CampaignTouch_campaignId_state_idx" ON "CampaignTouch"("campaignId", "state");

-- CreateIndex
CREATE INDEX "CampaignTouch_shop_customerId_idx" ON "CampaignTouch"("shop", "customerId");
