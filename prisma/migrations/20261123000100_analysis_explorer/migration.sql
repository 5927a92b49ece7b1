-- AlterTable
ALTER TABLE "CustomerScore" ADD COLUMN     "expectedOrderValue" DOUBLE PRECISION;

-- CreateIndex
CREATE INDEX "CustomerScore_shop_churnRisk_customerId_idx" ON "CustomerScore"("shop", "churnRisk", "customerId");

-- CreateIndex
CREATE INDEX "CustomerScore_shop_daysSinceLast_customerId_idx" ON "CustomerScore"("shop", "daysSinceLast", "customerId");
