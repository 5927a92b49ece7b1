-- The VIP outreach queue shows the customer's phone so the concierge can call. Nullable: many
-- customers have none, and rows synced before this migration get theirs with the next sync or
-- customers/update webhook. The staging table carries it so both merges can write it.

-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "phone" TEXT;

-- AlterTable
ALTER TABLE "SyncStageCustomer" ADD COLUMN     "phone" TEXT;
