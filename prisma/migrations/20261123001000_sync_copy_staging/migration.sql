-- Staging is loaded with COPY and read once, whole, by the merge (docs/decisions/051-fast-initial-merge.md).
-- Its primary keys cost a B-tree insert per staged row and served no reader: a batch is staged in the
-- same transaction as its checkpoint, so it is never staged twice, and the merge de-duplicates anyway.
-- Timestamps keep their offset (timestamptz) so COPY can take them as they arrive; lists of codes
-- and tags are joined with U+001F and split at the merge. ALTER (not DROP) keeps the rows of a sync
-- that is running while this migration is applied.

-- AlterTable
ALTER TABLE "SyncStageOrder" DROP CONSTRAINT "SyncStageOrder_pkey",
    ALTER COLUMN "processedAt" SET DATA TYPE TIMESTAMPTZ(3) USING "processedAt" AT TIME ZONE 'UTC',
    ALTER COLUMN "createdAt" SET DATA TYPE TIMESTAMPTZ(3) USING "createdAt" AT TIME ZONE 'UTC',
    ALTER COLUMN "updatedAt" SET DATA TYPE TIMESTAMPTZ(3) USING "updatedAt" AT TIME ZONE 'UTC',
    ALTER COLUMN "cancelledAt" SET DATA TYPE TIMESTAMPTZ(3) USING "cancelledAt" AT TIME ZONE 'UTC',
    ALTER COLUMN "discountCodes" DROP DEFAULT,
    ALTER COLUMN "discountCodes" SET DATA TYPE TEXT USING coalesce(array_to_string("discountCodes", chr(31)), ''),
    ALTER COLUMN "discountCodes" SET DEFAULT '',
    ALTER COLUMN "discountCodes" SET NOT NULL;

-- AlterTable
ALTER TABLE "SyncStageOrderLine" DROP CONSTRAINT "SyncStageOrderLine_pkey";

-- AlterTable
ALTER TABLE "SyncStageCustomer" DROP CONSTRAINT "SyncStageCustomer_pkey",
    ALTER COLUMN "updatedAt" SET DATA TYPE TIMESTAMPTZ(3) USING "updatedAt" AT TIME ZONE 'UTC',
    ALTER COLUMN "tags" DROP DEFAULT,
    ALTER COLUMN "tags" SET DATA TYPE TEXT USING coalesce(array_to_string("tags", chr(31)), ''),
    ALTER COLUMN "tags" SET DEFAULT '',
    ALTER COLUMN "tags" SET NOT NULL;
