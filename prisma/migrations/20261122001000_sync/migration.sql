-- CreateTable
CREATE TABLE "SyncRun" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'initial',
    "status" TEXT NOT NULL DEFAULT 'running',
    "partial" BOOLEAN NOT NULL DEFAULT false,
    "errorCode" TEXT,
    "errorMessage" TEXT,
    "since" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ingestStartedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "ordersSynced" INTEGER NOT NULL DEFAULT 0,
    "customersSynced" INTEGER NOT NULL DEFAULT 0,
    "pollCount" INTEGER NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SyncRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncBulkOperation" (
    "id" TEXT NOT NULL,
    "runId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'CREATED',
    "errorCode" TEXT,
    "objectCount" INTEGER NOT NULL DEFAULT 0,
    "linesRead" INTEGER NOT NULL DEFAULT 0,
    "malformedCount" INTEGER NOT NULL DEFAULT 0,
    "malformedSamples" JSONB NOT NULL DEFAULT '[]',
    "partial" BOOLEAN NOT NULL DEFAULT false,
    "ingestState" TEXT NOT NULL DEFAULT 'waiting',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "SyncBulkOperation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SyncState" (
    "shop" TEXT NOT NULL,
    "watermark" TIMESTAMP(3),
    "lastSyncedAt" TIMESTAMP(3),
    "lastRunId" TEXT,

    CONSTRAINT "SyncState_pkey" PRIMARY KEY ("shop")
);

-- CreateTable
CREATE TABLE "SyncStageOrder" (
    "runId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "id" BIGINT NOT NULL,
    "customerId" BIGINT,
    "name" TEXT,
    "processedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "cancelledAt" TIMESTAMP(3),
    "test" BOOLEAN NOT NULL DEFAULT false,
    "financialStatus" TEXT,
    "currentTotal" DECIMAL(14,2) NOT NULL,
    "totalPrice" DECIMAL(14,2) NOT NULL,
    "currency" TEXT NOT NULL,
    "discountCodes" TEXT[] DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "SyncStageOrder_pkey" PRIMARY KEY ("runId","id")
);

-- CreateTable
CREATE TABLE "SyncStageOrderLine" (
    "runId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "id" BIGINT NOT NULL,
    "orderId" BIGINT NOT NULL,
    "productId" BIGINT,
    "variantId" BIGINT,
    "productTitle" TEXT,
    "productType" TEXT,
    "vendor" TEXT,
    "quantity" INTEGER NOT NULL,
    "unitPrice" DECIMAL(14,2) NOT NULL,

    CONSTRAINT "SyncStageOrderLine_pkey" PRIMARY KEY ("runId","id")
);

-- CreateTable
CREATE TABLE "SyncStageCustomer" (
    "runId" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "id" BIGINT NOT NULL,
    "email" TEXT,
    "firstName" TEXT,
    "lastName" TEXT,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "emailConsent" TEXT,
    "smsConsent" TEXT,
    "updatedAt" TIMESTAMP(3),

    CONSTRAINT "SyncStageCustomer_pkey" PRIMARY KEY ("runId","id")
);

-- CreateIndex
CREATE INDEX "SyncRun_shop_startedAt_idx" ON "SyncRun"("shop", "startedAt");

-- CreateIndex
CREATE INDEX "SyncBulkOperation_runId_idx" ON "SyncBulkOperation"("runId");

-- CreateIndex
CREATE INDEX "SyncBulkOperation_shop_idx" ON "SyncBulkOperation"("shop");
