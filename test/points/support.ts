import { rebuild, type OrderEvent, type PointsEvent, type PointsState } from "../../app/domain/points";
import { loadLedgerRows, type LedgerRow } from "../../app/points/store";
import type { Database } from "../../app/db/open";
import type { Sql } from "../../app/db/sql";
import type { Emulator } from "../shopify-emulator";
import { defaultPointsSettings, customerPointsSummary } from "../../app/domain/points";

/** The emulator's orders of a shop as the domain's events: the expected answer, computed without the app's database. */
export function emulatorOrderEvents(emu: Emulator, shop: string): OrderEvent[] {
  const s = emu.shop(shop);
  const out: OrderEvent[] = [];
  for (let i = 0; i < s.data.orders.length; i++) {
    if (s.data.orders.deleted.has(i)) continue;
    const v = s.orderView(i);
    out.push({
      type: "order",
      orderId: String(v.legacyId),
      customerId: v._customerIdx >= 0 ? String(s.customerLegacyId(v._customerIdx)) : null,
      at: new Date(v.processedAt),
      updatedAt: new Date(v.updatedAt),
      currentTotal: v._currentCents / 100,
      cancelled: v.cancelledAt !== null,
      test: v.test,
    });
  }
  return out;
}

export function expectedState(events: PointsEvent[]): PointsState {
  return rebuild(events, defaultPointsSettings());
}

export interface Comparable {
  balance: number;
  nextExpiryAt: string | null;
  nextExpiryPoints: number;
  lots: Array<[string, number, number, string]>;
}

const lotsOf = (lots: LedgerRow["lots"]) =>
  lots.map((l) => [l.lotId, l.points, l.burned, l.expiresAt.toISOString()] as [string, number, number, string]);

/** Per customer: what the database holds. Rows without lots (zeroed) are left out. */
export async function dbLedger(db: Database, shop: string): Promise<Map<string, Comparable>> {
  const rows = await loadLedgerRows(db.sql, shop);
  return new Map(
    rows
      .filter((r) => r.lots.length)
      .map((r) => [
        r.customerId,
        {
          balance: r.balance,
          nextExpiryAt: r.nextExpiryAt?.toISOString() ?? null,
          nextExpiryPoints: r.nextExpiryPoints,
          lots: lotsOf(r.lots),
        },
      ]),
  );
}

/** Per customer: what the domain says for a state at `now`. */
export function domainLedger(state: PointsState, now: Date): Map<string, Comparable> {
  const out = new Map<string, Comparable>();
  for (const [cid, l] of Object.entries(state.customers)) {
    if (!l.lots.length) continue;
    const s = customerPointsSummary(state, cid, now);
    out.set(cid, {
      balance: s.balance,
      nextExpiryAt: s.nextExpiry?.expiresAt.toISOString() ?? null,
      nextExpiryPoints: s.nextExpiry?.points ?? 0,
      lots: lotsOf(l.lots),
    });
  }
  return out;
}

/**
 * Points are opt-in (ADR 079): tests of a running program turn it on first, as the merchant would
 * (past orders earn too unless `earnFrom` is given). Creates the Shop row when the test has none.
 */
export async function turnPointsOnForTest(sql: Sql, shop: string, opts: { earnFrom?: Date | null; at?: Date } = {}): Promise<void> {
  await sql.query(`INSERT INTO "Shop" (domain, "updatedAt") VALUES ($1, now()) ON CONFLICT (domain) DO NOTHING`, [shop]);
  const program = { enabled: true, earnFrom: opts.earnFrom?.toISOString() ?? null, changedAt: (opts.at ?? new Date()).toISOString() };
  await sql.query(
    `UPDATE "Shop" SET settings = jsonb_set(coalesce(settings, '{}'::jsonb), '{points}', coalesce(settings -> 'points', '{}'::jsonb) || jsonb_build_object('program', $2::jsonb)) WHERE domain = $1`,
    [shop, JSON.stringify(program)],
  );
}
