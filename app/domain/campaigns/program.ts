import { z } from "zod";
import { AppError } from "../../lib/errors";
import { DAY_MS } from "../analytics/dates";

/**
 * Always-on win-back programs (ADR 078): a program is a campaign row that never ends, one per branch
 * and shop. This module decides who newly meets the program's silence signal on a given day; the
 * measurement and guardrails are in program-measure.ts.
 */

export const PROGRAM_BRANCHES = ["VIP", "Standard"] as const;
export type ProgramBranch = (typeof PROGRAM_BRANCHES)[number];

export const SIGNAL_KINDS = ["lapse", "overdue", "churn_risk"] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export const programSettingsSchema = z
  .object({
    signal: z
      .object({
        kind: z.enum(SIGNAL_KINDS).default("lapse"),
        /** lapse: days without an order (the analysis' "at risk" starts at 90) */
        lapseDays: z.number().int().min(14).max(730).default(90),
        /** overdue: silent for more than this many times the customer's own median gap */
        overdueMultiplier: z.number().min(1).max(10).default(2),
        /** overdue needs a cycle: at least this many purchase days */
        overdueMinPurchaseDays: z.number().int().min(2).max(50).default(3),
        /** churn_risk: enrol when the analysis' churn risk is at or above this */
        churnRiskThreshold: z.number().min(0.05).max(0.99).default(0.7),
      })
      .prefault({}),
    /**
     * Also enrol customers who met the signal before the program was turned on (drained at the
     * daily cap, oldest first). Off by default: the program is for customers who lapse from now on,
     * and a backlog is what a one-off campaign is for.
     */
    includeBacklog: z.boolean().default(false),
    /** Days looked back on a run (a missed day is caught up), and on the first run without backlog. */
    lookbackDays: z.number().int().min(1).max(30).default(7),
    /** At most this many enrolments a day; the rest wait for the next day, oldest signal first. */
    maxPerDay: z.number().int().min(1).max(10_000).default(500),
    /** Customers without email marketing consent are not enrolled (the Standard branch could only be measured). */
    requireEmailConsent: z.boolean().default(false),
    guardrails: z
      .object({
        /** pause when the lift CI lies entirely below 0 once each arm has this many matured members */
        minMaturedPerArm: z.number().int().min(10).max(100_000).default(100),
        pauseOnNegativeLift: z.boolean().default(true),
      })
      .prefault({}),
  })
  .strict();

export type ProgramSettings = z.output<typeof programSettingsSchema>;
export type ProgramSettingsInput = z.input<typeof programSettingsSchema>;

export function parseProgramSettings(input: unknown): ProgramSettings {
  const r = programSettingsSchema.safeParse(input ?? {});
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AppError("INVALID_INPUT", `program settings: ${detail}`, { details: r.error.issues });
  }
  return r.data;
}

export function defaultProgramSettings(): ProgramSettings {
  return parseProgramSettings({});
}

/** What the program knows of a customer: the analysis' score, with the newest last order. */
export interface ProgramCandidate {
  customerId: string;
  vip: boolean;
  lastOrderAt: Date;
  purchaseDays: number;
  medianGapDays: number | null;
  churnRisk: number;
  emailConsent?: string | null;
}

export interface SignalMatch {
  customerId: string;
  branch: ProgramBranch;
  /**
   * When the customer started meeting the signal. Churn risk has no onset date in a daily score,
   * so it is "today" for anyone above the threshold who was never enrolled.
   */
  since: Date;
}

/** When this customer meets (or met, or will meet) the signal; null when the signal cannot apply. */
export function signalOnset(c: ProgramCandidate, s: ProgramSettings["signal"], today: Date): Date | null {
  const last = c.lastOrderAt.getTime();
  if (s.kind === "lapse") return new Date(last + s.lapseDays * DAY_MS);
  if (s.kind === "overdue") {
    if (c.purchaseDays < s.overdueMinPurchaseDays || c.medianGapDays == null || !(c.medianGapDays > 0)) return null;
    // "more than k × gap": the first whole day strictly past it
    return new Date(last + (Math.floor(s.overdueMultiplier * c.medianGapDays) + 1) * DAY_MS);
  }
  return c.churnRisk >= s.churnRiskThreshold ? today : null;
}

export interface NewlySilentInput {
  branch: ProgramBranch;
  candidates: readonly ProgramCandidate[];
  settings: ProgramSettings;
  /** the run's time */
  today: Date;
  /** the previous completed run's time; null on the program's first run */
  lastRunAt: Date | null;
  /** already enrolled in this program (ever) or engaged elsewhere, or excluded by the merchant */
  excluded: ReadonlySet<string>;
}

export interface NewlySilentResult {
  enrol: SignalMatch[];
  /** met the signal but left for a later day by the daily cap */
  deferred: number;
  /** met the signal but excluded (engaged elsewhere, already enrolled, merchant exclusions) */
  excluded: number;
  /** no email consent while the program requires it */
  noConsent: number;
}

/**
 * Who is enrolled today. A customer is due once the onset has passed, and it is "new" when the onset
 * falls after the previous run less the lookback (a missed day is caught up; a customer whose onset
 * is older than that never joins, unless the merchant asked for the backlog on the first run).
 * Older onsets first, then customer id: a capped day is deterministic and the queue drains fairly.
 */
export function newlySilent(input: NewlySilentInput): NewlySilentResult {
  const { settings: s, today } = input;
  const t = today.getTime();
  const lookback = s.lookbackDays * DAY_MS;
  // With the backlog on, every day looks back without limit: the daily cap drains it, oldest first.
  const from = s.includeBacklog ? Number.NEGATIVE_INFINITY : Math.min(input.lastRunAt?.getTime() ?? t, t) - lookback;
  const due: SignalMatch[] = [];
  let excluded = 0;
  let noConsent = 0;
  for (const c of input.candidates) {
    if ((c.vip ? "VIP" : "Standard") !== input.branch) continue;
    const onset = signalOnset(c, s.signal, today);
    if (!onset) continue;
    const o = onset.getTime();
    if (o > t || o <= from) continue;
    // Ordered after the onset means not silent any more (the score may be older than the order).
    if (c.lastOrderAt.getTime() > o) continue;
    if (input.excluded.has(c.customerId)) {
      excluded++;
      continue;
    }
    if (s.requireEmailConsent && c.emailConsent !== "SUBSCRIBED") {
      noConsent++;
      continue;
    }
    due.push({ customerId: c.customerId, branch: input.branch, since: onset });
  }
  due.sort((a, b) => a.since.getTime() - b.since.getTime() || compareIds(a.customerId, b.customerId));
  return { enrol: due.slice(0, s.maxPerDay), deferred: Math.max(0, due.length - s.maxPerDay), excluded, noConsent };
}

/** Numeric ids as decimal strings: shorter is smaller. */
function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** The words the confirmation and the page use for a signal. */
export function describeSignal(s: ProgramSettings["signal"]): string {
  if (s.kind === "lapse") return `no order for ${s.lapseDays} days`;
  if (s.kind === "overdue")
    return `silent for more than ${s.overdueMultiplier}× their own usual gap between orders (${s.overdueMinPurchaseDays}+ purchase days)`;
  return `churn risk at or above ${Math.round(s.churnRiskThreshold * 100)}%`;
}
