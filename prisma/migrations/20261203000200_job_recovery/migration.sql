-- Crash recovery in seconds (docs/decisions/006-job-concurrency-and-recovery.md).
-- Every job runner (one per app process) registers itself and refreshes "lastSeenAt" while it
-- lives; a job held by a runner not seen for a while is taken over by a live one. Database time
-- (now()) is the only clock used, so instances with skewed clocks agree.

-- CreateTable
CREATE TABLE "JobWorker" (
    "id" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "JobWorker_pkey" PRIMARY KEY ("id")
);

-- pg-boss does not record which process runs a job: the runner notes it here while the job runs.
-- CreateTable
CREATE TABLE "JobLease" (
    "jobId" TEXT NOT NULL,
    "queue" TEXT NOT NULL,
    "workerId" TEXT NOT NULL,
    "expireSeconds" INTEGER NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "JobLease_pkey" PRIMARY KEY ("jobId")
);

-- CreateIndex
CREATE INDEX "JobLease_workerId_idx" ON "JobLease"("workerId");

-- The embedded runner's own record of who holds a job.
-- AlterTable
ALTER TABLE "Job" ADD COLUMN "lockedBy" TEXT;

-- Bulk-query launches retried after throttling or a network error (the run stays running meanwhile).
-- AlterTable
ALTER TABLE "SyncRun" ADD COLUMN "launchAttempts" INTEGER NOT NULL DEFAULT 0;
