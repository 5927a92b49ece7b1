import { AppError } from "../../lib/errors";
import { applyEvent, DAY_MS, type CustomerLedger, type Lot, type PointsState } from "./ledger";
import { valueOfPoints, type RedemptionRate } from "./settings";

const remaining = (l: Lot) => l.points - l.burned;
/** A lot is alive strictly before its expiry instant; at expiresAt its rest is expired. */
const alive = (l: Lot, now: number) => now < l.expiresAt.getTime();

function ledger(state: PointsState, customerId: string): CustomerLedger | undefined {
  return state.customers[customerId];
}

export function balanceOf(state: PointsState, customerId: string, now: Date): number {
  const t = now.getTime();
  return (ledger(state, customerId)?.lots ?? []).reduce((s, l) => s + (alive(l, t) ? remaining(l) : 0), 0);
}

export interface NextExpiry {
  /** first instant a lot with unspent points expires */
  expiresAt: Date;
  /** unspent points expiring on that UTC calendar day (several orders can fall on one day) */
  points: number;
}

export function nextExpiry(state: PointsState, customerId: string, now: Date): NextExpiry | null {
  const t = now.getTime();
  const live = (ledger(state, customerId)?.lots ?? []).filter((l) => alive(l, t) && remaining(l) > 0);
  if (!live.length) return null;
  const first = live.reduce((a, b) => (b.expiresAt.getTime() < a.expiresAt.getTime() ? b : a));
  const day = Math.floor(first.expiresAt.getTime() / DAY_MS);
  const points = live.filter((l) => Math.floor(l.expiresAt.getTime() / DAY_MS) === day).reduce((s, l) => s + remaining(l), 0);
  return { expiresAt: first.expiresAt, points };
}

/** Unspent points that expire in (now, now + days]. */
export function pointsExpiringWithin(state: PointsState, customerId: string, now: Date, days: number): number {
  if (!(days >= 0)) throw new AppError("INVALID_INPUT", "days must be >= 0");
  const t = now.getTime();
  const end = t + days * DAY_MS;
  return (ledger(state, customerId)?.lots ?? []).reduce((s, l) => s + (alive(l, t) && l.expiresAt.getTime() <= end ? remaining(l) : 0), 0);
}

export interface CustomerPointsSummary {
  customerId: string;
  balance: number;
  /** points currently earned by all lots, after refunds and cancellations */
  earned: number;
  /** consumed by redemptions and negative adjustments */
  burned: number;
  expired: number;
  /** burns that found no live lot (ADR 031) */
  unrecovered: number;
  nextExpiry: NextExpiry | null;
}

export function customerPointsSummary(state: PointsState, customerId: string, now: Date): CustomerPointsSummary {
  const t = now.getTime();
  const l = ledger(state, customerId);
  const lots = l?.lots ?? [];
  return {
    customerId,
    balance: balanceOf(state, customerId, now),
    earned: lots.reduce((s, x) => s + x.points, 0),
    burned: lots.reduce((s, x) => s + x.burned, 0),
    expired: lots.reduce((s, x) => s + (alive(x, t) ? 0 : remaining(x)), 0),
    unrecovered: l?.unrecovered ?? 0,
    nextExpiry: nextExpiry(state, customerId, now),
  };
}

export interface AtRiskWindow {
  days: number;
  points: number;
  value: number;
  customers: number;
}

/** Shop-level unspent points (and their value at the redemption rate) expiring within each window. */
export function pointsAtRisk(state: PointsState, now: Date, windows: readonly number[] = [14, 30, 60]): AtRiskWindow[] {
  const t = now.getTime();
  return windows.map((days) => {
    const end = t + days * DAY_MS;
    let points = 0;
    let customers = 0;
    for (const c of Object.values(state.customers)) {
      const p = c.lots.reduce((s, l) => s + (alive(l, t) && l.expiresAt.getTime() <= end ? remaining(l) : 0), 0);
      if (p > 0) {
        points += p;
        customers++;
      }
    }
    return { days, points, value: valueOfPoints(points, state.settings.redemptionRate), customers };
  });
}

export interface ExpiryWeek {
  /** Monday 00:00 UTC */
  weekStart: Date;
  points: number;
  value: number;
  lots: number;
}

/**
 * Upcoming expiries bucketed by ISO week (Monday 00:00 UTC), starting with the week containing
 * `now`; already expired points are not "upcoming" and are left out.
 */
export function expiryHistogramByWeek(state: PointsState, now: Date, weeks = 12): ExpiryWeek[] {
  if (!Number.isInteger(weeks) || weeks < 1 || weeks > 520) throw new AppError("INVALID_INPUT", "weeks must be an integer in [1, 520]");
  const t = now.getTime();
  const dayIndex = Math.floor(t / DAY_MS);
  // 1970-01-01 was a Thursday: shift so Monday is 0.
  const start = (dayIndex - ((dayIndex + 3) % 7)) * DAY_MS;
  const buckets: ExpiryWeek[] = Array.from({ length: weeks }, (_, i) => ({
    weekStart: new Date(start + i * 7 * DAY_MS),
    points: 0,
    value: 0,
    lots: 0,
  }));
  for (const c of Object.values(state.customers)) {
    for (const l of c.lots) {
      if (!alive(l, t) || remaining(l) <= 0) continue;
      const i = Math.floor((l.expiresAt.getTime() - start) / (7 * DAY_MS));
      if (i < weeks) {
        buckets[i].points += remaining(l);
        buckets[i].lots++;
      }
    }
  }
  for (const b of buckets) b.value = valueOfPoints(b.points, state.settings.redemptionRate);
  return buckets;
}

export interface RedeemResult {
  state: PointsState;
  redemptionId: string;
  points: number;
  value: number;
  /** true when the redemption id was already recorded and nothing was burned again */
  replayed: boolean;
}

/**
 * Burns `points` (a positive multiple of rate.points) oldest-first at `now`. Idempotent by
 * redemptionId — the storefront retries with the same key after a network error — and a key reused
 * for a different request is a CONFLICT rather than a silent second answer.
 */
export function redeem(
  state: PointsState,
  customerId: string,
  points: number,
  rate: RedemptionRate,
  now: Date,
  redemptionId: string,
): RedeemResult {
  const prev = state.redemptions[redemptionId];
  if (prev) {
    if (prev.customerId !== customerId || prev.points !== points) {
      throw new AppError("CONFLICT", `redemption ${redemptionId} was already used for a different request`);
    }
    return { state, redemptionId, points: prev.points, value: prev.value, replayed: true };
  }
  if (!(rate.points > 0) || !Number.isInteger(rate.points) || !(rate.value > 0))
    throw new AppError("INVALID_INPUT", "invalid redemption rate");
  if (!Number.isInteger(points) || points <= 0 || points % rate.points !== 0) {
    throw new AppError("INVALID_INPUT", `points must be a positive multiple of ${rate.points}, got ${points}`, {
      details: { step: rate.points },
    });
  }
  const balance = balanceOf(state, customerId, now);
  if (points > balance) {
    throw new AppError("INVALID_INPUT", `insufficient balance: ${balance} points available, ${points} requested`, {
      details: { balance, requested: points },
    });
  }
  const value = valueOfPoints(points, rate);
  const next = applyEvent(state, { type: "redeem", redemptionId, customerId, points, at: now, value });
  return { state: next, redemptionId, points, value, replayed: false };
}
