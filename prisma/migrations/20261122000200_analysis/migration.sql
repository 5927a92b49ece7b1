-- CreateTable
CREATE TABLE "AnalysisRun" (
    "id" TEXT NOT NULL,
    "shop" TEXT NOT NULL,
    "asOf" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'running',
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "customers" INTEGER NOT NULL DEFAULT 0,
    "summary" JSONB,
    "model" JSONB,
    "error" TEXT,

    CONSTRAINT "AnalysisRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CustomerScore" (
    "shop" TEXT NOT NULL,
    "customerId" BIGINT NOT NULL,
    "runId" TEXT NOT NULL,
    "lapseClass" TEXT NOT NULL,
    "overdue" BOOLEAN NOT NULL,
    "vip" BOOLEAN NOT NULL,
    "target" BOOLEAN NOT NULL,
    "branch" TEXT,
    "orders" INTEGER NOT NULL,
    "purchaseDays" INTEGER NOT NULL,
    "totalSpent" DOUBLE PRECISION NOT NULL,
    "aov" DOUBLE PRECISION NOT NULL,
    "firstOrderAt" TIMESTAMP(3) NOT NULL,
    "lastOrderAt" TIMESTAMP(3) NOT NULL,
    "daysSinceLast" INTEGER NOT NULL,
    "medianGapDays" DOUBLE PRECISION,
    "pAlive" DOUBLE PRECISION,
    "expectedPurchases90" DOUBLE PRECISION,
    "expectedNextOrderAt" TIMESTAMP(3),
    "predictedValue12m" DOUBLE PRECISION,
    "churnRisk" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "CustomerScore_pkey" PRIMARY KEY ("shop","customerId")
);

-- CreateIndex
CREATE INDEX "AnalysisRun_shop_startedAt_idx" ON "AnalysisRun"("shop", "startedAt");

-- CreateIndex
CREATE INDEX "CustomerScore_shop_lapseClass_churnRisk_idx" ON "CustomerScore"("shop", "lapseClass", "churnRisk");

-- CreateIndex
CREATE INDEX "CustomerScore_shop_target_branch_idx" ON "CustomerScore"("shop", "target", "branch");

-- CreateIndex
CREATE INDEX "CustomerScore_shop_totalSpent_idx" ON "CustomerScore"("shop", "totalSpent");
