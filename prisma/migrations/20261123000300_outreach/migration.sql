-- CreateTable
CREATE TABLE "OutreachTask" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "campaignId" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "launchAt" TIMESTAMP(3) NOT NULL,
    "conciergeName" TEXT NOT NULL DEFAULT '',
    "conciergeRole" TEXT NOT NULL DEFAULT '',
    "owner" TEXT NOT NULL DEFAULT '',
    "followUpDays" INTEGER NOT NULL,
    "graceDays" INTEGER NOT NULL,
    "perkKind" TEXT NOT NULL,
    "perkText" TEXT NOT NULL,
    "perkDetails" JSONB NOT NULL DEFAULT '{}',
    "script" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'to_contact',
    "dueAt" TIMESTAMP(3) NOT NULL,
    "followUpAt" TIMESTAMP(3),
    "contactedAt" TIMESTAMP(3),
    "respondedAt" TIMESTAMP(3),
    "escalatedAt" TIMESTAMP(3),
    "escalatedTo" TEXT,
    "wonBackAt" TIMESTAMP(3),
    "wonBackOrderId" BIGINT,
    "history" JSONB NOT NULL DEFAULT '[]',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "OutreachTask_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OutreachNote" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "author" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OutreachNote_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "OutreachTask_shop_status_dueAt_idx" ON "OutreachTask"("shop", "status", "dueAt");

-- CreateIndex
CREATE INDEX "OutreachTask_shop_customerId_idx" ON "OutreachTask"("shop", "customerId");

-- CreateIndex
CREATE INDEX "OutreachTask_shop_conciergeName_idx" ON "OutreachTask"("shop", "conciergeName");

-- CreateIndex
CREATE UNIQUE INDEX "OutreachTask_shop_campaignId_customerId_key" ON "OutreachTask"("shop", "campaignId", "customerId");

-- CreateIndex
CREATE INDEX "OutreachNote_taskId_createdAt_idx" ON "OutreachNote"("taskId", "createdAt");

-- CreateIndex
CREATE INDEX "OutreachNote_shop_customerId_idx" ON "OutreachNote"("shop", "customerId");

-- AddForeignKey
ALTER TABLE "OutreachNote" ADD CONSTRAINT "OutreachNote_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "OutreachTask"("id") ON DELETE CASCADE ON UPDATE CASCADE;
