import { describe, expect, it } from "vitest";
import { DAY_MS } from "../analytics/dates";
import { diffOfProportions } from "../stats";
import { defaultCampaignSettings } from "./settings";
import { describeSignal, newlySilent, parseProgramSettings, signalOnset, type ProgramCandidate } from "./program";
import {
  describeProgramGuardrails,
  evaluateProgramGuardrails,
  measureProgram,
  weekStart,
  type ProgramMemberOutcome,
} from "./program-measure";

const today = new Date("2026-06-10T03:00:00Z");
const daysAgo = (d: number) => new Date(today.getTime() - d * DAY_MS);
const cand = (id: string, lastDaysAgo: number, o: Partial<ProgramCandidate> = {}): ProgramCandidate => ({
  customerId: id,
  vip: false,
  lastOrderAt: daysAgo(lastDaysAgo),
  purchaseDays: 4,
  medianGapDays: 20,
  churnRisk: 0.2,
  emailConsent: "SUBSCRIBED",
  ...o,
});

describe("who newly meets the silence signal", () => {
  const s = parseProgramSettings({ signal: { kind: "lapse", lapseDays: 90 }, lookbackDays: 2 });

  it("lapse: crossed 90 silent days since the last run (less the lookback), not before, not yet", () => {
    const r = newlySilent({
      branch: "Standard",
      candidates: [cand("1", 89), cand("2", 90.5), cand("3", 92.5), cand("4", 95), cand("5", 91.9, { vip: true })],
      settings: s,
      today,
      lastRunAt: daysAgo(1),
      excluded: new Set(),
    });
    // onset 0.5 and 2.5 days ago; the window is (lastRun − 2 days, today] = (3 days ago, now]
    expect(r.enrol.map((m) => m.customerId)).toEqual(["3", "2"]);
    expect(r.enrol.every((m) => m.branch === "Standard")).toBe(true);
    const vip = newlySilent({
      branch: "VIP",
      candidates: [cand("5", 91.9, { vip: true })],
      settings: s,
      today,
      lastRunAt: daysAgo(1),
      excluded: new Set(),
    });
    expect(vip.enrol.map((m) => m.customerId)).toEqual(["5"]);
  });

  it("the first run takes only the lookback unless the merchant asks for the backlog; the cap defers the rest, oldest first", () => {
    const cands = [cand("10", 91), cand("11", 200), cand("12", 150), cand("13", 300)];
    expect(
      newlySilent({ branch: "Standard", candidates: cands, settings: s, today, lastRunAt: null, excluded: new Set() }).enrol.map(
        (m) => m.customerId,
      ),
    ).toEqual(["10"]);
    const backlog = parseProgramSettings({ includeBacklog: true, maxPerDay: 2 });
    const r = newlySilent({ branch: "Standard", candidates: cands, settings: backlog, today, lastRunAt: null, excluded: new Set() });
    expect(r.enrol.map((m) => m.customerId)).toEqual(["13", "11"]);
    expect(r.deferred).toBe(2);
  });

  it("excluded customers (engaged elsewhere, already enrolled) and customers without consent when required are counted, not enrolled", () => {
    const consent = parseProgramSettings({ requireEmailConsent: true, lookbackDays: 5 });
    const r = newlySilent({
      branch: "Standard",
      candidates: [cand("1", 91), cand("2", 92), cand("3", 93, { emailConsent: "NOT_SUBSCRIBED" })],
      settings: consent,
      today,
      lastRunAt: daysAgo(1),
      excluded: new Set(["2"]),
    });
    expect(r.enrol.map((m) => m.customerId)).toEqual(["1"]);
    expect(r.excluded).toBe(1);
    expect(r.noConsent).toBe(1);
  });

  it("overdue: past k × the customer's own median gap, only with enough purchase days", () => {
    const o = parseProgramSettings({ signal: { kind: "overdue", overdueMultiplier: 2, overdueMinPurchaseDays: 3 } });
    expect(signalOnset(cand("1", 0, { medianGapDays: 20 }), o.signal, today)!.getTime()).toBe(today.getTime() + 41 * DAY_MS);
    expect(signalOnset(cand("1", 0, { purchaseDays: 2 }), o.signal, today)).toBeNull();
    expect(signalOnset(cand("1", 0, { medianGapDays: null }), o.signal, today)).toBeNull();
    const r = newlySilent({
      branch: "Standard",
      candidates: [cand("1", 41.5), cand("2", 40), cand("3", 60, { medianGapDays: 10 })],
      settings: o,
      today,
      lastRunAt: daysAgo(1),
      excluded: new Set(),
    });
    expect(r.enrol.map((m) => m.customerId)).toEqual(["1"]);
  });

  it("churn risk: at or above the merchant's threshold, from today", () => {
    const c = parseProgramSettings({ signal: { kind: "churn_risk", churnRiskThreshold: 0.6 } });
    const r = newlySilent({
      branch: "Standard",
      candidates: [cand("1", 30, { churnRisk: 0.6 }), cand("2", 30, { churnRisk: 0.59 })],
      settings: c,
      today,
      lastRunAt: daysAgo(1),
      excluded: new Set(),
    });
    expect(r.enrol).toEqual([{ customerId: "1", branch: "Standard", since: today }]);
    expect(describeSignal(c.signal)).toBe("churn risk at or above 60%");
  });

  it("rejects settings a merchant cannot mean", () => {
    expect(() => parseProgramSettings({ signal: { kind: "churn_risk", churnRiskThreshold: 1.5 } })).toThrow(/churnRiskThreshold/);
    expect(() => parseProgramSettings({ maxPerDay: 0 })).toThrow(/maxPerDay/);
    expect(() => parseProgramSettings({ nonsense: 1 })).toThrow(/program settings/);
  });
});

describe("program measurement", () => {
  const start = new Date("2026-01-05T00:00:00Z"); // a Monday
  const member = (day: number, holdout: boolean, back: number | null, revenue = 0): ProgramMemberOutcome => ({
    assignedAt: new Date(start.getTime() + day * DAY_MS),
    holdout,
    firstOrderAt: back === null ? null : new Date(start.getTime() + (day + back) * DAY_MS),
    revenue,
  });

  it("weeks start on Monday (UTC)", () => {
    expect(new Date(weekStart(Date.parse("2026-01-11T23:00:00Z"))).toISOString()).toBe("2026-01-05T00:00:00.000Z");
    expect(new Date(weekStart(Date.parse("2026-01-12T00:00:00Z"))).toISOString()).toBe("2026-01-12T00:00:00.000Z");
  });

  it("cohorts by enrolment week; only matured members count, each in their own 30-day window", () => {
    const members = [
      member(0, false, 5, 50), // reactivated
      member(1, false, 31, 0), // came back after their window: not a reactivation
      member(2, true, null),
      member(3, true, 10, 40),
      member(8, false, 2, 60), // week 2
      member(40, false, 1, 30), // not matured at day 50
    ];
    const m = measureProgram(members, { now: new Date(start.getTime() + 50 * DAY_MS), windowDays: 30 });
    expect(m.cohorts.map((c) => [c.week, c.enrolled, c.treated, c.holdout, c.matured, c.treatedReactivated, c.holdoutReactivated])).toEqual(
      [
        ["2026-01-05", 4, 2, 2, 4, 1, 1],
        ["2026-01-12", 1, 1, 0, 1, 1, 0],
        ["2026-02-09", 1, 1, 0, 0, 0, 0],
      ],
    );
    expect(m.current.treated).toEqual({ n: 3, reactivated: 2, rate: 2 / 3 });
    expect(m.current.holdout).toEqual({ n: 2, reactivated: 1, rate: 1 / 2 });
    const d = diffOfProportions({ x: 2, n: 3 }, { x: 1, n: 2 });
    expect(m.current.lift).toBeCloseTo(d.diff, 12);
    expect(m.current.ci).toEqual(d.ci);
    expect(m.pending).toBe(1);
    // week ends from the first week with a matured member: day 30 falls in the week of Feb 2 → first point Feb 9
    expect(m.rolling[0]!.asOf).toBe("2026-02-09");
    expect(m.rolling[0]!.treated.n).toBe(2);
    expect(m.rolling.at(-1)!.treated.n).toBe(3);
    // incremental revenue: (110/3 − 40/2) × 3
    expect(m.incrementalRevenue.estimate).toBeCloseTo((110 / 3 - 20) * 3, 9);
  });

  it("an empty program measures nothing and says so", () => {
    const m = measureProgram([], { now: start, windowDays: 30 });
    expect(m.rolling).toEqual([]);
    expect(m.current.lift).toBeNull();
    expect(m.incrementalRevenue.estimate).toBeNull();
  });
});

describe("program guardrails", () => {
  const settings = defaultCampaignSettings();
  const g = { minMaturedPerArm: 100, pauseOnNegativeLift: true };
  const arms = (t: [number, number], h: [number, number]) => {
    const d = diffOfProportions({ x: t[0], n: t[1] }, { x: h[0], n: h[1] });
    return {
      treated: { n: t[1], reactivated: t[0], rate: t[0] / t[1] },
      holdout: { n: h[1], reactivated: h[0], rate: h[0] / h[1] },
      lift: d.diff,
      ci: d.ci,
    };
  };
  const quiet = { deliveries: 1000, unsubscribes: 0, complaints: 0 };

  it("pauses when the lift is significantly negative with enough matured members, not before", () => {
    const bad = arms([10, 400], [40, 200]);
    const r = evaluateProgramGuardrails(quiet, bad, settings, g);
    expect(r.status).toBe("pause");
    expect(r.reasons[0]!.metric).toBe("negative_lift");
    expect(describeProgramGuardrails(r.reasons)).toMatch(/Reactivation lift -17\.50% is below zero \(95% CI/);
    expect(evaluateProgramGuardrails(quiet, arms([1, 40], [8, 50]), settings, g).status).toBe("ok");
    expect(evaluateProgramGuardrails(quiet, bad, settings, { ...g, pauseOnNegativeLift: false }).status).toBe("ok");
    // negative but not significant
    expect(evaluateProgramGuardrails(quiet, arms([38, 400], [20, 200]), settings, g).status).toBe("ok");
  });

  it("pauses on the unsubscribe or complaint rate like a campaign", () => {
    const r = evaluateProgramGuardrails({ deliveries: 1000, unsubscribes: 4, complaints: 0 }, arms([50, 400], [20, 200]), settings, g);
    expect(r.status).toBe("pause");
    expect(describeProgramGuardrails(r.reasons)).toBe("Unsubscribe rate 0.40% is above the 0.30% limit");
  });
});
