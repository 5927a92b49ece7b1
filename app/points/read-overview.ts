import type { Sql } from "../db/sql";
import {
  DAY_MS,
  balanceOf,
  expiryHistogramByWeek,
  nextExpiry,
  nudgeKey,
  pointsAtRisk,
  pointsExpiringWithin,
  rewardValue,
  valueOfPoints,
  type AtRiskWindow,
} from "../domain/points";
import { shopFacts } from "../shop-settings.server";
import { issuedRedemptions, loadLedgerRows, loadPointsSettings, nudgeRecords, stateFromRows } from "./store";
import { ledgerSettings, type PointsAppSettings } from "./settings";

/** One shopper's points (the proxy's JSON answer); null while points are off (ADR 079: no banner data). */
export async function customerPoints(sql: Sql, shop: string, customerId: string, now: Date) {
  const app = await loadPointsSettings(sql, shop);
  if (!app.program.enabled) return null;
  const settings = ledgerSettings(app);
  const rows = await loadLedgerRows(sql, shop, { customerIds: [customerId] });
  const state = stateFromRows(rows, settings);
  const next = nextExpiry(state, customerId, now);
  const balance = balanceOf(state, customerId, now);
  const { currencyCode } = await shopFacts(sql, shop);
  return {
    balance,
    value: rewardValue(balance, settings.redemptionRate),
    currencyCode,
    nextExpiry: next
      ? { points: next.points, expiresAt: next.expiresAt.toISOString(), value: rewardValue(next.points, settings.redemptionRate) }
      : null,
    redemptionRate: settings.redemptionRate,
  };
}

export interface ScheduleDay {
  date: string;
  byOffset: Record<string, number>;
  total: number;
}

export interface NudgeResults {
  offset: number;
  sent: number;
  emailed: number;
  skipped: number;
}

export interface PointsOverview {
  settings: PointsAppSettings;
  currencyCode: string;
  customersWithPoints: number;
  pointsOutstanding: number;
  valueOutstanding: number;
  atRisk: AtRiskWindow[];
  weeks: Array<{ weekStart: string; points: number; value: number; lots: number }>;
  bannerAudience: number;
  schedule: ScheduleDay[];
  results: { byOffset: NudgeResults[]; lots: number; redeemed: number; expired: number; pending: number };
  redemptions: { count: number; points: number; value: number; last30Days: number };
}

/**
 * Everything the Points page shows, from the stored ledger through the domain's queries. The
 * nudge schedule lists, per day, reminders that will fall due (lot expiry minus each offset) and
 * have not been sent; results classify every nudged lot: the customer redeemed after the first
 * reminder and before the lot expired, or the lot expired with points left, or it is still open.
 */
export async function pointsOverview(sql: Sql, shop: string, now: Date, opts: { scheduleDays?: number } = {}): Promise<PointsOverview> {
  const app = await loadPointsSettings(sql, shop);
  const settings = ledgerSettings(app);
  const rows = await loadLedgerRows(sql, shop);
  const state = stateFromRows(rows, settings);
  const { currencyCode } = await shopFacts(sql, shop);
  const t = now.getTime();

  let customersWithPoints = 0;
  let pointsOutstanding = 0;
  let bannerAudience = 0;
  for (const cid of Object.keys(state.customers)) {
    const b = balanceOf(state, cid, now);
    if (b > 0) customersWithPoints++;
    pointsOutstanding += b;
    if (pointsExpiringWithin(state, cid, now, app.bannerWindowDays) > 0) bannerAudience++;
  }

  const sent = await nudgeRecords(sql, shop, null);
  const sentKeys = new Set(sent.map((s) => nudgeKey(s.customerId, s.lotId, s.offsetDays)));

  const scheduleDays = opts.scheduleDays ?? 14;
  const days = new Map<string, ScheduleDay>();
  for (let d = 0; d < scheduleDays; d++) {
    const date = new Date(Math.floor(t / DAY_MS) * DAY_MS + d * DAY_MS).toISOString().slice(0, 10);
    days.set(date, { date, byOffset: Object.fromEntries(settings.nudgeOffsetsDays.map((o) => [String(o), 0])), total: 0 });
  }
  const offsets = [...settings.nudgeOffsetsDays].sort((a, b) => a - b);
  for (const c of Object.values(state.customers)) {
    for (const lot of c.lots) {
      if (lot.points - lot.burned <= 0 || lot.expiresAt.getTime() <= t) continue;
      // As dueNudges sends them: of the offsets whose time has come, only the closest to expiry goes
      // out (now); the others never will. Later offsets go out on their day.
      const exp = lot.expiresAt.getTime();
      const current = offsets.find((o) => t >= exp - o * DAY_MS);
      for (const o of offsets) {
        const at = exp - o * DAY_MS;
        if ((at <= t && o !== current) || sentKeys.has(nudgeKey(c.customerId, lot.lotId, o))) continue;
        const due = Math.max(t, at);
        const day = days.get(new Date(due).toISOString().slice(0, 10));
        if (!day) continue;
        day.byOffset[String(o)] = (day.byOffset[String(o)] ?? 0) + 1;
        day.total++;
      }
    }
  }

  const redemptionRows = await issuedRedemptions(sql, shop);
  const byCustomer = new Map<string, Date[]>();
  for (const r of redemptionRows) byCustomer.set(r.customerId, [...(byCustomer.get(r.customerId) ?? []), new Date(r.createdAt)]);

  const byOffset = new Map<number, NudgeResults>(settings.nudgeOffsetsDays.map((o) => [o, { offset: o, sent: 0, emailed: 0, skipped: 0 }]));
  const lots = new Map<string, { customerId: string; firstSent: number; expiresAt: number }>();
  for (const s of sent) {
    const r = byOffset.get(s.offsetDays) ?? { offset: s.offsetDays, sent: 0, emailed: 0, skipped: 0 };
    r.sent++;
    if (s.emailStatus === "sent") r.emailed++;
    else if (s.emailStatus?.startsWith("skipped")) r.skipped++;
    byOffset.set(s.offsetDays, r);
    const k = `${s.customerId}|${s.lotId}`;
    const prev = lots.get(k);
    const at = new Date(s.sentAt).getTime();
    if (!prev || at < prev.firstSent) lots.set(k, { customerId: s.customerId, firstSent: at, expiresAt: new Date(s.expiresAt).getTime() });
  }
  let redeemed = 0;
  let expired = 0;
  let pending = 0;
  for (const l of lots.values()) {
    if ((byCustomer.get(l.customerId) ?? []).some((d) => d.getTime() >= l.firstSent && d.getTime() < l.expiresAt)) redeemed++;
    else if (t >= l.expiresAt) expired++;
    else pending++;
  }

  const since = t - 30 * DAY_MS;
  return {
    settings: app,
    currencyCode,
    customersWithPoints,
    pointsOutstanding,
    valueOutstanding: valueOfPoints(pointsOutstanding, settings.redemptionRate),
    atRisk: pointsAtRisk(state, now, [14, 30, 60]),
    weeks: expiryHistogramByWeek(state, now, 12).map((w) => ({ ...w, weekStart: w.weekStart.toISOString().slice(0, 10) })),
    bannerAudience,
    schedule: [...days.values()],
    results: { byOffset: [...byOffset.values()].sort((a, b) => b.offset - a.offset), lots: lots.size, redeemed, expired, pending },
    redemptions: {
      count: redemptionRows.length,
      points: redemptionRows.reduce((s, r) => s + r.points, 0),
      value: Math.round(redemptionRows.reduce((s, r) => s + Number(r.value), 0) * 100) / 100,
      last30Days: redemptionRows.filter((r) => new Date(r.createdAt).getTime() >= since).length,
    },
  };
}
