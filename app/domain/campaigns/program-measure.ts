import { AppError } from "../../lib/errors";
import { DAY_MS } from "../analytics/dates";
import { diffOfMeans, diffOfProportions, type Interval } from "../stats";
import { evaluateGuardrails, type DeliveryCounts, type GuardrailReason } from "./guardrails";
import type { CampaignSettings } from "./settings";
import type { ProgramSettings } from "./program";

/**
 * Rolling measurement of an always-on program (ADR 078). Every member has its own window, from its
 * enrolment (assignedAt) for `windowDays`; a member counts once that window has closed ("matured"),
 * so an arm never mixes finished and half-observed customers. Treated and holdout are measured alike.
 */
export interface ProgramMemberOutcome {
  assignedAt: Date;
  holdout: boolean;
  /** first qualifying order at or after assignedAt (any time; the window is applied here) */
  firstOrderAt: Date | null;
  /** what the customer paid inside their own window */
  revenue: number;
}

export interface WeeklyCohort {
  /** Monday 00:00 UTC of the enrolment week, YYYY-MM-DD */
  week: string;
  enrolled: number;
  treated: number;
  holdout: number;
  /** members of the cohort whose window has closed */
  matured: number;
  treatedReactivated: number;
  holdoutReactivated: number;
}

export interface LiftPoint {
  /** end of the week (exclusive), YYYY-MM-DD: everything matured by then is counted */
  asOf: string;
  treated: { n: number; reactivated: number; rate: number | null };
  holdout: { n: number; reactivated: number; rate: number | null };
  lift: number | null;
  ci: Interval | null;
}

export interface ProgramMeasurement {
  windowDays: number;
  cohorts: WeeklyCohort[];
  /** cumulative 30-day reactivation, treated vs holdout, at the end of each week so far */
  rolling: LiftPoint[];
  /** the latest point: every matured member */
  current: LiftPoint;
  incrementalRevenue: { estimate: number | null; ci: Interval | null };
  incrementalReactivations: number | null;
  discount: { redemptions: number; cost: number };
  /** members still inside their window, not yet counted */
  pending: number;
}

const iso = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Monday 00:00 UTC of the week holding t. */
export function weekStart(t: number): number {
  const day = Math.floor(t / DAY_MS);
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays
  return (day - ((((day + 3) % 7) + 7) % 7)) * DAY_MS;
}

function reactivated(m: ProgramMemberOutcome, windowMs: number): boolean {
  if (!m.firstOrderAt) return false;
  const d = m.firstOrderAt.getTime() - m.assignedAt.getTime();
  return d >= 0 && d < windowMs;
}

function point(members: readonly ProgramMemberOutcome[], asOf: number, windowMs: number): LiftPoint {
  const t = { n: 0, reactivated: 0 };
  const h = { n: 0, reactivated: 0 };
  for (const m of members) {
    if (m.assignedAt.getTime() + windowMs > asOf) continue;
    const arm = m.holdout ? h : t;
    arm.n++;
    if (reactivated(m, windowMs)) arm.reactivated++;
  }
  const rate = (a: { n: number; reactivated: number }) => (a.n > 0 ? a.reactivated / a.n : null);
  const d = t.n > 0 && h.n > 0 ? diffOfProportions({ x: t.reactivated, n: t.n }, { x: h.reactivated, n: h.n }) : null;
  return {
    asOf: iso(asOf),
    treated: { ...t, rate: rate(t) },
    holdout: { ...h, rate: rate(h) },
    lift: d ? d.diff : null,
    ci: d?.ci ?? null,
  };
}

export function measureProgram(
  members: readonly ProgramMemberOutcome[],
  opts: { now: Date; windowDays: number; discount?: { redemptions: number; cost: number } },
): ProgramMeasurement {
  if (!Number.isInteger(opts.windowDays) || opts.windowDays < 1 || opts.windowDays > 365)
    throw new AppError("INVALID_INPUT", "windowDays must be an integer in [1, 365]");
  const now = opts.now.getTime();
  const windowMs = opts.windowDays * DAY_MS;
  const byWeek = new Map<number, WeeklyCohort>();
  let first = Number.POSITIVE_INFINITY;
  for (const m of members) {
    const at = m.assignedAt.getTime();
    if (!Number.isFinite(at)) throw new AppError("INVALID_INPUT", "assignedAt must be a date");
    first = Math.min(first, at);
    const w = weekStart(at);
    const c = byWeek.get(w) ?? {
      week: iso(w),
      enrolled: 0,
      treated: 0,
      holdout: 0,
      matured: 0,
      treatedReactivated: 0,
      holdoutReactivated: 0,
    };
    c.enrolled++;
    if (m.holdout) c.holdout++;
    else c.treated++;
    if (at + windowMs <= now) {
      c.matured++;
      if (reactivated(m, windowMs)) {
        if (m.holdout) c.holdoutReactivated++;
        else c.treatedReactivated++;
      }
    }
    byWeek.set(w, c);
  }
  const cohorts = [...byWeek.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c);
  const rolling: LiftPoint[] = [];
  if (members.length) {
    // One point per week end from the first week whose members could have matured, up to now.
    for (let end = weekStart(first + windowMs) + 7 * DAY_MS; end <= now; end += 7 * DAY_MS) rolling.push(point(members, end, windowMs));
  }
  const current = point(members, now, windowMs);
  // Revenue over matured members only, like the rates.
  const sums = { t: { n: 0, sum: 0, sumSq: 0 }, h: { n: 0, sum: 0, sumSq: 0 } };
  for (const m of members) {
    if (m.assignedAt.getTime() + windowMs > now) continue;
    const s = m.holdout ? sums.h : sums.t;
    s.n++;
    s.sum += m.revenue;
    s.sumSq += m.revenue * m.revenue;
  }
  const means = sums.t.n > 0 && sums.h.n > 0 ? diffOfMeans(sums.t, sums.h) : null;
  return {
    windowDays: opts.windowDays,
    cohorts,
    rolling,
    current,
    incrementalRevenue: {
      estimate: means?.diff != null ? means.diff * sums.t.n : null,
      ci: means?.ci ? { low: means.ci.low * sums.t.n, high: means.ci.high * sums.t.n } : null,
    },
    incrementalReactivations: current.lift !== null ? current.lift * current.treated.n : null,
    discount: opts.discount ?? { redemptions: 0, cost: 0 },
    pending: members.length - current.treated.n - current.holdout.n,
  };
}

export type ProgramGuardrailReason = GuardrailReason | { metric: "negative_lift"; lift: number; ci: Interval };

export interface ProgramGuardrailResult {
  status: "ok" | "pause";
  reasons: ProgramGuardrailReason[];
}

/**
 * A program runs unattended, so it stops itself: on the campaign guardrails (unsubscribe or complaint
 * rate over the limit, once there are enough deliveries) or when the treated arm does significantly
 * worse than the holdout (the whole 95% interval of the lift below zero, with enough matured members
 * in each arm that one bad week cannot trigger it).
 */
export function evaluateProgramGuardrails(
  counts: DeliveryCounts,
  current: Pick<LiftPoint, "treated" | "holdout" | "lift" | "ci">,
  settings: Pick<CampaignSettings, "guardrails">,
  program: ProgramSettings["guardrails"],
): ProgramGuardrailResult {
  const reasons: ProgramGuardrailReason[] = [...evaluateGuardrails(counts, settings).reasons];
  const enough = current.treated.n >= program.minMaturedPerArm && current.holdout.n >= program.minMaturedPerArm;
  if (program.pauseOnNegativeLift && enough && current.ci && current.lift !== null && current.ci.high < 0) {
    reasons.push({ metric: "negative_lift", lift: current.lift, ci: current.ci });
  }
  return { status: reasons.length ? "pause" : "ok", reasons };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function describeProgramGuardrails(reasons: readonly ProgramGuardrailReason[]): string {
  return reasons
    .map((r) => {
      if (r.metric === "negative_lift")
        return `Reactivation lift ${pct(r.lift)} is below zero (95% CI ${pct(r.ci.low)} to ${pct(r.ci.high)})`;
      return `${r.metric === "unsubscribe_rate" ? "Unsubscribe rate" : "Complaint rate"} ${pct(r.rate)} is above the ${pct(r.limit)} limit`;
    })
    .join("; ");
}
