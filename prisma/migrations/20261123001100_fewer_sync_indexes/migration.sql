-- Fewer indexes for the sync to maintain (docs/decisions/051-fast-initial-merge.md): "OrderLine" is
-- keyed (shop, orderId, id), which also serves "the lines of an order", so its separate
-- (shop, orderId) index goes; no query reads "Order" by (shop, updatedAt) or ranges over
-- "Customer" by (shop, lastOrderAt), and without that index aggregate updates stay HOT.

-- DropIndex
DROP INDEX "Customer_shop_lastOrderAt_idx";

-- DropIndex
DROP INDEX "Order_shop_updatedAt_idx";

-- DropIndex
DROP INDEX "OrderLine_shop_orderId_idx";

-- AlterTable
ALTER TABLE "OrderLine" DROP CONSTRAINT "OrderLine_pkey",
ADD CONSTRAINT "OrderLine_pkey" PRIMARY KEY ("shop", "orderId", "id");
