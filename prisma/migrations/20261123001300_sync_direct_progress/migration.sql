-- A direct load (docs/decisions/051-fast-initial-merge.md) writes no checkpoint until it commits;
-- the sync status card reads its progress from here. "linesRead" stays the committed checkpoint
-- that a resumed ingestion skips.

-- AlterTable
ALTER TABLE "SyncBulkOperation" ADD COLUMN "linesApplied" INTEGER NOT NULL DEFAULT 0;
