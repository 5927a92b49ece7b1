import { z } from "zod";
import { enqueueMarketingReport } from "./marketing-report";
import { isHoldout } from "../domain/campaigns";
import { newlySilent, type ProgramBranch, type ProgramCandidate } from "../domain/campaigns/program";
import { currentOfferVersion } from "../domain/campaigns/offer-versions";
import { describeProgramGuardrails, evaluateProgramGuardrails } from "../domain/campaigns/program-measure";
import { DAY_MS, isoFromDay, localDay } from "../domain/analytics/dates";
import { nextLocalMidnight } from "../analysis/schedule";
import { scoresForProgram } from "../analysis/store";
import { customersByIds } from "../sync/store/customers";
import { AppError } from "../lib/errors";
import { shopFacts } from "../shop-settings.server";
import { addTags } from "../shopify/customers";
import { customerGid } from "../shopify/ids";
import type { CampaignDeps } from "./deps";
import { enqueuePendingTouchBatches, memberTagFor } from "./launch";
import { measureProgramRow } from "./program-measure";
import {
  engagedCustomers,
  enrolDay,
  recordAssignmentRisk,
  exitMember,
  finishRun,
  getProgramById,
  insertMemberTouches,
  lastEnrolmentBefore,
  markTagged,
  pauseCampaignRow,
  programMemberIds,
  saveProgramGuardrail,
  startRun,
  treatedMembersAssignedSince,
  untaggedMemberBranches,
  type ProgramRow,
  type ProgramRunRow,
} from "./store";

export const PROGRAM_DAY_QUEUE = "program.day";
export const ProgramDayPayload = z.object({ shop: z.string().min(1), campaignId: z.string().min(1) });

/** The daily run starts at this local hour: Day-0 emails go out in the morning, not at midnight. */
const RUN_LOCAL_HOUR = 9;

/** The shop's next local day at about RUN_LOCAL_HOUR (an hour off on a DST change day). */
export function nextRunAt(now: Date, timeZone: string): Date {
  return nextLocalMidnight(now, timeZone, RUN_LOCAL_HOUR * 3_600_000);
}

/** Queues the program's run for `at` (one per program and local date: re-arming twice is harmless). */
export async function scheduleProgramDay(deps: Pick<CampaignDeps, "queue">, shop: string, campaignId: string, at: Date, day: string) {
  return deps.queue.send(PROGRAM_DAY_QUEUE, { shop, campaignId }, { runAt: at, singletonKey: `${PROGRAM_DAY_QUEUE}:${campaignId}:${day}` });
}

export interface ProgramDayResult {
  action: "ran" | "already_done" | "not_active";
  day?: string;
  enrolled?: number;
}

/**
 * One day of a program: enrol who newly meets the signal (minus engaged and excluded customers),
 * split treated/holdout by the campaigns' per-customer randomisation, then tag, create VIP tasks and
 * schedule touches for the new treated members as a launch would, check the guardrails and queue
 * tomorrow. Idempotent per day (ProgramRun): the choice and the members are written in one
 * transaction with the day's mark, and every later step only completes what is missing.
 */
export async function runProgramDay(deps: CampaignDeps, payload: z.infer<typeof ProgramDayPayload>): Promise<ProgramDayResult> {
  const c = await getProgramById(deps.sql, payload.shop, payload.campaignId);
  if (!c) return { action: "not_active" };
  // The launch job is creating the segment and the discount: the run waits for it.
  if (c.status === "launching") throw new AppError("CONFLICT", "program is still launching", { retryable: true, retryAfterMs: 60_000 });
  // Turned off or paused by a guardrail: the chain ends here, turning it on starts it again.
  if (c.status !== "active") return { action: "not_active" };
  const now = deps.now();
  const facts = await shopFacts(deps.sql, c.shop);
  const day = isoFromDay(localDay(now, facts.ianaTimezone));
  let run = await startRun(deps.sql, c.id, c.shop, day, now);
  if (run.finishedAt) {
    await armNext(deps, c, now, facts.ianaTimezone);
    return { action: "already_done", day };
  }
  if (!run.enrolledAt) {
    await enrol(deps, c, run, now);
    run = await startRun(deps.sql, c.id, c.shop, day, now);
  }
  await followUp(deps, c, run);
  await checkProgramGuardrails(deps, c);
  await finishRun(deps.sql, c.id, day, deps.now());
  // A program's daily report rides on its day (ADR 092); idempotent, so a re-run day reports again harmlessly.
  await enqueueMarketingReport(deps, c.shop, c.id);
  await armNext(deps, c, now, facts.ianaTimezone);
  return { action: "ran", day, enrolled: run.enrolled };
}

async function armNext(deps: CampaignDeps, c: ProgramRow, now: Date, timeZone: string) {
  const at = nextRunAt(now, timeZone);
  await scheduleProgramDay(deps, c.shop, c.id, at, isoFromDay(localDay(at, timeZone)));
}

async function enrol(deps: CampaignDeps, c: ProgramRow, run: ProgramRunRow, now: Date) {
  const branch = c.programBranch;
  const candidates = await programCandidates(deps.sql, c.shop, branch);
  const members = await programMemberIds(deps.sql, c.id);
  const excluded = new Set(members);
  // In an active sequence or an open holdout anywhere (any campaign or program): not enrolled now.
  const engaged = await engagedCustomers(deps.sql, c.shop, now);
  for (const id of engaged.keys()) excluded.add(id);
  const choice = newlySilent({
    branch,
    candidates,
    settings: c.programSettings,
    today: now,
    lastRunAt: await lastEnrolmentBefore(deps.sql, c.id, run.day),
    excluded,
  });
  const windowMs = c.settings.reactivationWindowDays * DAY_MS;
  // Members join with the newest promoted offer whose code exists (ADR 104) and keep it; holdout
  // members are marked with it too, so each offer's period can be read against its own holdout.
  const offerVersion = currentOfferVersion(c.offerVersions)?.n ?? null;
  const rows = choice.enrol.map((m) => {
    const holdout = isHoldout(c.id, m.customerId, c.settings.holdoutShare);
    return {
      customerId: m.customerId,
      branch: m.branch as ProgramBranch,
      holdout,
      holdoutUntil: holdout ? new Date(now.getTime() + windowMs) : null,
      offerVersion: m.branch === "Standard" ? offerVersion : null,
    };
  });
  await enrolDay(deps.sql, { campaignId: c.id, shop: c.shop, day: run.day }, now, rows, {
    deferred: choice.deferred,
    excluded: choice.excluded,
    noConsent: choice.noConsent,
  });
  // The risk at enrolment, for uplift targeting's held-out comparison (ADR 100): the score table is replaced by every run.
  const riskOf = new Map(candidates.map((x) => [x.customerId, x.churnRisk]));
  await recordAssignmentRisk(
    deps.sql,
    c.id,
    rows.filter((r) => riskOf.has(r.customerId)).map((r) => ({ customerId: r.customerId, churnRisk: riskOf.get(r.customerId)! })),
  );
}

/**
 * The analysis' scores of one branch with the newest last order: the sync keeps the customer's last
 * order current between two analysis runs, so a customer who just ordered is not taken for silent.
 */
export async function programCandidates(sql: CampaignDeps["sql"], shop: string, branch: ProgramBranch): Promise<ProgramCandidate[]> {
  const scores = await scoresForProgram(sql, shop, branch === "VIP");
  const customers = await customersByIds(
    sql,
    shop,
    scores.map((s) => s.customerId),
  );
  return scores.map((s) => {
    const c = customers.get(s.customerId);
    const last = c?.lastOrderAt && c.lastOrderAt.getTime() > s.lastOrderAt.getTime() ? c.lastOrderAt : s.lastOrderAt;
    return { ...s, lastOrderAt: last, emailConsent: c?.emailConsent ?? null };
  });
}

/** What a launch does for its members, for the members who joined: each step completes what is missing. */
async function followUp(deps: CampaignDeps, c: ProgramRow, run: ProgramRunRow) {
  const pending = await untaggedMemberBranches(deps.sql, c.id);
  if (pending.length) {
    const client = await deps.client(c.shop);
    for (const { id, branch, offerVersion } of pending) {
      // VIPs get their own tag, never the code segment's (ADR 077), as in a launch; a member of a promoted offer its version's (ADR 104).
      const r = await addTags(client, { id: customerGid(id), tags: [memberTagFor(c.tag, branch, null, offerVersion)] });
      // A customer deleted in Shopify since the analysis leaves the program; the others go on.
      if (r.ok) await markTagged(deps.sql, c.id, [id], deps.now());
      else await exitMember(deps.sql, c.id, id, "tag_failed", deps.now());
    }
  }
  if (c.programBranch === "VIP" && run.enrolledAt) {
    const vips = await treatedMembersAssignedSince(deps.sql, c.id, run.enrolledAt);
    if (vips.length) {
      await deps.outreach.createTasks(deps.sql, {
        shop: c.shop,
        campaignId: c.id,
        launchAt: run.enrolledAt,
        settings: c.settings,
        customerIds: vips.map((v) => v.customerId),
      });
      await deps.outreach.scheduleEscalation(deps.queue, c.shop, run.enrolledAt, c.settings);
    }
  }
  const days = c.programBranch === "VIP" ? c.settings.vip.touchDays : c.settings.standard.touchDays;
  await insertMemberTouches(deps.sql, c.id, c.programBranch, days);
  // One job per batch, as a launch (ADR 084); batches queued on an earlier day for the same time are not queued twice.
  await enqueuePendingTouchBatches(deps, c.shop, c.id);
}

/** Pauses the program on a breached guardrail; the state is kept for the page either way. */
export async function checkProgramGuardrails(deps: Pick<CampaignDeps, "sql" | "messageCounts" | "now">, c: ProgramRow): Promise<boolean> {
  const report = await measureProgramRow(deps, c);
  const counts = report.deliveries;
  const g = evaluateProgramGuardrails(
    { deliveries: counts.delivered, unsubscribes: counts.unsubscribed, complaints: counts.complaints },
    report.measurement.current,
    c.settings,
    c.programSettings.guardrails,
  );
  const state = { ...g, checkedAt: deps.now().toISOString(), counts };
  await saveProgramGuardrail(deps.sql, c.id, state);
  if (g.status !== "pause") return false;
  return pauseCampaignRow(deps.sql, c.id, `Paused automatically: ${describeProgramGuardrails(g.reasons)}.`, deps.now(), state);
}
