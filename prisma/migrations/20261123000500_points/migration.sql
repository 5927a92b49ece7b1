-- CreateTable
CREATE TABLE "PointsLedger" (
    "shop" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "balance" INTEGER NOT NULL DEFAULT 0,
    "earned" INTEGER NOT NULL DEFAULT 0,
    "burned" INTEGER NOT NULL DEFAULT 0,
    "unrecovered" INTEGER NOT NULL DEFAULT 0,
    "nextExpiryAt" TIMESTAMP(3),
    "nextExpiryPoints" INTEGER NOT NULL DEFAULT 0,
    "lots" JSONB NOT NULL DEFAULT '[]',
    "orderIds" BIGINT[] DEFAULT ARRAY[]::BIGINT[],
    "computedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "syncedBalance" INTEGER,
    "syncedExpiring" INTEGER,
    "syncedExpireAt" TIMESTAMP(3),
    "syncedAt" TIMESTAMP(3),

    CONSTRAINT "PointsLedger_pkey" PRIMARY KEY ("shop","customerId")
);

-- CreateTable
CREATE TABLE "PointsRedemption" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "points" INTEGER NOT NULL,
    "value" DECIMAL(14,2) NOT NULL,
    "currency" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "discountId" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PointsRedemption_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PointsNudge" (
    "shop" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "lotId" TEXT NOT NULL,
    "offsetDays" INTEGER NOT NULL,
    "points" INTEGER NOT NULL,
    "value" DECIMAL(14,2) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "emailStatus" TEXT,
    "flowStatus" TEXT,
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "PointsNudge_pkey" PRIMARY KEY ("shop","customerId","lotId","offsetDays")
);

-- CreateIndex
CREATE INDEX "PointsLedger_shop_nextExpiryAt_idx" ON "PointsLedger"("shop", "nextExpiryAt");

-- CreateIndex
CREATE INDEX "PointsRedemption_shop_status_idx" ON "PointsRedemption"("shop", "status");

-- CreateIndex
CREATE UNIQUE INDEX "PointsRedemption_shop_customerId_idempotencyKey_key" ON "PointsRedemption"("shop", "customerId", "idempotencyKey");

-- CreateIndex
CREATE UNIQUE INDEX "PointsRedemption_shop_code_key" ON "PointsRedemption"("shop", "code");

-- CreateIndex
CREATE INDEX "PointsNudge_shop_sentAt_idx" ON "PointsNudge"("shop", "sentAt");
