-- Always-on win-back programs (ADR 078): a program is a Campaign row of kind 'program' that never
-- ends, one per shop and branch; members join every day with their own assignedAt. The program's
-- settings (silence signal, churn-risk threshold, daily cap, guardrails) are in "programSettings";
-- on/off is the row's status (draft until first turned on, active, paused with "pausedReason" when
-- the merchant or a guardrail turned it off); the guardrail state is the existing "guardrail" column.
ALTER TABLE "Campaign" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'campaign';
ALTER TABLE "Campaign" ADD COLUMN "programBranch" TEXT;
ALTER TABLE "Campaign" ADD COLUMN "programSettings" JSONB;

-- One program per branch and shop.
CREATE UNIQUE INDEX "Campaign_program_shop_branch_key" ON "Campaign" ("shop", "programBranch") WHERE "kind" = 'program';

-- One row per program and day: a re-run of the same day (a crash mid-enrolment, a duplicated job)
-- resumes that day's enrolment instead of starting another, and the next day knows where the last
-- completed run stopped.
CREATE TABLE "ProgramRun" (
    "campaignId" TEXT NOT NULL,
    "day" DATE NOT NULL,
    "shop" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "enrolledAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "enrolled" INTEGER NOT NULL DEFAULT 0,
    "deferred" INTEGER NOT NULL DEFAULT 0,
    "excluded" INTEGER NOT NULL DEFAULT 0,
    "noConsent" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,

    CONSTRAINT "ProgramRun_pkey" PRIMARY KEY ("campaignId", "day")
);
CREATE INDEX "ProgramRun_shop_idx" ON "ProgramRun" ("shop");
