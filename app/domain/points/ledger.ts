import { AppError } from "../../lib/errors";
import { DAY_MS } from "../analytics/dates";
import { defaultPointsSettings, type PointsSettings } from "./settings";

export { DAY_MS };

// ---------------------------------------------------------------------------------------------
// Events (facts from webhooks, the redeem endpoint and staff) and the derived ledger
// ---------------------------------------------------------------------------------------------

export interface OrderEvent {
  type: "order";
  orderId: string;
  /** null for guest checkouts: stored, earns nothing until a later version names a customer */
  customerId: string | null;
  /** when the order was placed: the earn time, whatever time the event arrives */
  at: Date;
  /** order version (Shopify updated_at); defaults to `at` */
  updatedAt?: Date;
  /** current total after refunds, in shop currency */
  currentTotal: number;
  cancelled: boolean;
  test: boolean;
}

export interface RedeemEvent {
  type: "redeem";
  redemptionId: string;
  customerId: string;
  points: number;
  at: Date;
  /** currency value handed out, kept so an idempotent replay answers the same */
  value: number;
}

/** Staff correction: positive grants a lot, negative burns like a redemption. */
export interface AdjustEvent {
  type: "adjust";
  adjustmentId: string;
  customerId: string;
  points: number;
  at: Date;
  reason: string;
}

export type PointsEvent = OrderEvent | RedeemEvent | AdjustEvent;

export interface OrderFact {
  orderId: string;
  customerId: string | null;
  at: Date;
  updatedAt: Date;
  currentTotal: number;
  cancelled: boolean;
  test: boolean;
}
export type RedemptionFact = Omit<RedeemEvent, "type">;
export type AdjustmentFact = Omit<AdjustEvent, "type">;

export interface Lot {
  lotId: string;
  source: "order" | "adjustment";
  sourceId: string;
  earnedAt: Date;
  expiresAt: Date;
  /** points the source earns now (after refunds/cancellation) */
  points: number;
  /** points of this lot consumed by redemptions and negative adjustments */
  burned: number;
}

export interface Burn {
  source: "redemption" | "adjustment";
  sourceId: string;
  at: Date;
  points: number;
  fromLots: { lotId: string; points: number }[];
  /** points that could not be taken from any lot alive at `at` (see ADR 031): written off, never a negative balance */
  unrecovered: number;
}

export interface CustomerLedger {
  customerId: string;
  orderIds: string[];
  redemptionIds: string[];
  adjustmentIds: string[];
  /** ordered oldest first (= FIFO burn order, since every lot lives equally long) */
  lots: Lot[];
  burns: Burn[];
  unrecovered: number;
}

export interface PointsState {
  settings: PointsSettings;
  orders: Record<string, OrderFact>;
  redemptions: Record<string, RedemptionFact>;
  adjustments: Record<string, AdjustmentFact>;
  /** derived from the facts above; never edited directly */
  customers: Record<string, CustomerLedger>;
}

export function emptyPointsState(settings: PointsSettings = defaultPointsSettings()): PointsState {
  return { settings, orders: {}, redemptions: {}, adjustments: {}, customers: {} };
}

// ---------------------------------------------------------------------------------------------
// Validation and merge rules
// ---------------------------------------------------------------------------------------------

const validDate = (d: unknown): d is Date => d instanceof Date && !Number.isNaN(d.getTime());
const bad = (msg: string): never => {
  throw new AppError("INVALID_INPUT", msg);
};

function validate(e: PointsEvent): void {
  if (!validDate(e.at)) bad(`${e.type} event: invalid date`);
  switch (e.type) {
    case "order":
      if (!e.orderId) bad("order event: orderId required");
      if (e.updatedAt !== undefined && !validDate(e.updatedAt)) bad(`order ${e.orderId}: invalid updatedAt`);
      if (!Number.isFinite(e.currentTotal) || e.currentTotal < 0) bad(`order ${e.orderId}: currentTotal must be >= 0`);
      return;
    case "redeem":
      if (!e.redemptionId || !e.customerId) bad("redeem event: redemptionId and customerId required");
      if (!Number.isInteger(e.points) || e.points <= 0) bad(`redemption ${e.redemptionId}: points must be a positive integer`);
      return;
    case "adjust":
      if (!e.adjustmentId || !e.customerId) bad("adjust event: adjustmentId and customerId required");
      if (!Number.isInteger(e.points) || e.points === 0) bad(`adjustment ${e.adjustmentId}: points must be a non-zero integer`);
      return;
    default:
      bad(`unknown points event type ${(e as { type: unknown }).type}`);
  }
}

const toOrderFact = (e: OrderEvent): OrderFact => ({
  orderId: e.orderId,
  customerId: e.customerId,
  at: e.at,
  updatedAt: e.updatedAt ?? e.at,
  currentTotal: e.currentTotal,
  cancelled: e.cancelled,
  test: e.test,
});

/**
 * Total order on versions of one order, so merging is commutative and idempotent and the result
 * does not depend on webhook arrival order: newest updatedAt wins; on a tie (Shopify's updated_at has
 * second precision) cancelled beats not cancelled and the lower total wins, because refunds and
 * cancellations only ever move an order that way.
 */
export function newerOrderVersion(a: OrderFact, b: OrderFact): OrderFact {
  const d = a.updatedAt.getTime() - b.updatedAt.getTime();
  if (d !== 0) return d > 0 ? a : b;
  if (a.cancelled !== b.cancelled) return a.cancelled ? a : b;
  if (a.currentTotal !== b.currentTotal) return a.currentTotal < b.currentTotal ? a : b;
  if (a.test !== b.test) return a.test ? a : b;
  if ((a.customerId ?? "") !== (b.customerId ?? "")) return (a.customerId ?? "") < (b.customerId ?? "") ? a : b;
  return a.at.getTime() <= b.at.getTime() ? a : b;
}

function sameFact(a: object, b: object): boolean {
  const norm = (o: object) => JSON.stringify(o, Object.keys(o).sort());
  return norm(a) === norm(b);
}

/** Points an order earns in its current version. */
export function orderPoints(o: Pick<OrderFact, "customerId" | "currentTotal" | "cancelled" | "test">, settings: PointsSettings): number {
  if (o.test || o.cancelled || o.customerId === null) return 0;
  // Round at 1e-6 first so that 19.99 × 100 does not floor to 1998.
  return Math.max(0, Math.floor(Math.round(o.currentTotal * settings.pointsPerUnit * 1e6) / 1e6));
}

// ---------------------------------------------------------------------------------------------
// Deriving one customer's ledger from their facts
// ---------------------------------------------------------------------------------------------

export interface PointsFacts {
  orders: Record<string, OrderFact>;
  redemptions: Record<string, RedemptionFact>;
  adjustments: Record<string, AdjustmentFact>;
}

type Entry =
  | { t: number; kind: "earn"; id: string; source: Lot["source"]; points: number }
  | { t: number; kind: "burn"; id: string; source: Burn["source"]; points: number };

/**
 * The ledger is a pure function of the customer's facts, replayed in order-time: every order earns
 * its *current* points at its order time; redemptions and negative adjustments burn oldest live lots
 * first at their own time. A refund arriving later therefore shrinks the order's lot and any burn
 * that had used those points moves to the next-oldest lot that was alive at the burn's time. This is
 * what makes live application and a rebuild from final order history identical (ADR 031).
 */
export function deriveLedger(
  customerId: string,
  ids: Pick<CustomerLedger, "orderIds" | "redemptionIds" | "adjustmentIds">,
  facts: PointsFacts,
  settings: PointsSettings,
): CustomerLedger {
  const lifetime = settings.lotLifetimeDays * DAY_MS;
  const entries: Entry[] = [];
  for (const id of ids.orderIds) {
    const o = facts.orders[id];
    const p = orderPoints(o, settings);
    if (p > 0) entries.push({ t: o.at.getTime(), kind: "earn", id, source: "order", points: p });
  }
  for (const id of ids.adjustmentIds) {
    const a = facts.adjustments[id];
    entries.push({ t: a.at.getTime(), kind: a.points > 0 ? "earn" : "burn", id, source: "adjustment", points: Math.abs(a.points) });
  }
  for (const id of ids.redemptionIds) {
    const r = facts.redemptions[id];
    entries.push({ t: r.at.getTime(), kind: "burn", id, source: "redemption", points: r.points });
  }
  // Earns before burns at the same instant, so a redemption stamped with its order's time can use it.
  entries.sort(
    (a, b) =>
      a.t - b.t ||
      (a.kind === b.kind ? 0 : a.kind === "earn" ? -1 : 1) ||
      a.source.localeCompare(b.source) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );

  const lots: Lot[] = [];
  const burns: Burn[] = [];
  let unrecovered = 0;
  for (const e of entries) {
    if (e.kind === "earn") {
      lots.push({
        lotId: `${e.source}:${e.id}`,
        source: e.source,
        sourceId: e.id,
        earnedAt: new Date(e.t),
        expiresAt: new Date(e.t + lifetime),
        points: e.points,
        burned: 0,
      });
      continue;
    }
    let left = e.points;
    const fromLots: Burn["fromLots"] = [];
    for (const lot of lots) {
      if (left === 0) break;
      if (lot.expiresAt.getTime() <= e.t) continue;
      const take = Math.min(left, lot.points - lot.burned);
      if (take <= 0) continue;
      lot.burned += take;
      left -= take;
      fromLots.push({ lotId: lot.lotId, points: take });
    }
    unrecovered += left;
    burns.push({ source: e.source, sourceId: e.id, at: new Date(e.t), points: e.points, fromLots, unrecovered: left });
  }
  return {
    customerId,
    orderIds: ids.orderIds,
    redemptionIds: ids.redemptionIds,
    adjustmentIds: ids.adjustmentIds,
    lots,
    burns,
    unrecovered,
  };
}

// ---------------------------------------------------------------------------------------------
// applyEvent / rebuild
// ---------------------------------------------------------------------------------------------

const insertSorted = (xs: readonly string[], x: string): string[] => (xs.includes(x) ? [...xs] : [...xs, x].sort());
const removeFrom = (xs: readonly string[], x: string): string[] => xs.filter((y) => y !== x);

function emptyIds(): Pick<CustomerLedger, "orderIds" | "redemptionIds" | "adjustmentIds"> {
  return { orderIds: [], redemptionIds: [], adjustmentIds: [] };
}

/**
 * Applies one event. Idempotent: replaying an order version, redemption or adjustment that is
 * already known returns the same state object. A redemption or adjustment id reused with different
 * content is a CONFLICT (an idempotency key was reused for another request).
 */
export function applyEvent(state: PointsState, event: PointsEvent): PointsState {
  validate(event);
  const touched = new Set<string>();
  let { orders, redemptions, adjustments } = state;
  const idsOf = new Map<string, ReturnType<typeof emptyIds>>();
  const ids = (cid: string) => {
    let x = idsOf.get(cid);
    if (!x) {
      const cur = state.customers[cid];
      x = cur ? { orderIds: cur.orderIds, redemptionIds: cur.redemptionIds, adjustmentIds: cur.adjustmentIds } : emptyIds();
      idsOf.set(cid, x);
    }
    return x;
  };

  if (event.type === "order") {
    const incoming = toOrderFact(event);
    const prev = orders[event.orderId];
    const winner = prev ? newerOrderVersion(prev, incoming) : incoming;
    if (prev && (winner === prev || sameFact(prev, incoming))) return state;
    orders = { ...orders, [event.orderId]: winner };
    if (prev?.customerId && prev.customerId !== winner.customerId) {
      const x = ids(prev.customerId);
      x.orderIds = removeFrom(x.orderIds, event.orderId);
      touched.add(prev.customerId);
    }
    if (winner.customerId) {
      const x = ids(winner.customerId);
      x.orderIds = insertSorted(x.orderIds, event.orderId);
      touched.add(winner.customerId);
    }
  } else if (event.type === "redeem") {
    const { type: _t, ...fact } = event;
    const prev = redemptions[event.redemptionId];
    if (prev) {
      if (sameFact(prev, fact)) return state;
      throw new AppError("CONFLICT", `redemption ${event.redemptionId} already recorded with different content`, {
        details: { prev, next: fact },
      });
    }
    redemptions = { ...redemptions, [event.redemptionId]: fact };
    const x = ids(event.customerId);
    x.redemptionIds = insertSorted(x.redemptionIds, event.redemptionId);
    touched.add(event.customerId);
  } else {
    const { type: _t, ...fact } = event;
    const prev = adjustments[event.adjustmentId];
    if (prev) {
      if (sameFact(prev, fact)) return state;
      throw new AppError("CONFLICT", `adjustment ${event.adjustmentId} already recorded with different content`);
    }
    adjustments = { ...adjustments, [event.adjustmentId]: fact };
    const x = ids(event.customerId);
    x.adjustmentIds = insertSorted(x.adjustmentIds, event.adjustmentId);
    touched.add(event.customerId);
  }

  const customers = { ...state.customers };
  const facts = { orders, redemptions, adjustments };
  for (const cid of touched) {
    const x = ids(cid);
    if (x.orderIds.length + x.redemptionIds.length + x.adjustmentIds.length === 0) delete customers[cid];
    else customers[cid] = deriveLedger(cid, x, facts, state.settings);
  }
  return { settings: state.settings, orders, redemptions, adjustments, customers };
}

/**
 * The state from a whole history, in any order: facts are merged with the same rules as
 * {@link applyEvent} (mutably, for speed) and every ledger is derived once.
 */
export function rebuild(events: Iterable<PointsEvent>, settings: PointsSettings = defaultPointsSettings()): PointsState {
  const orders: Record<string, OrderFact> = {};
  const redemptions: Record<string, RedemptionFact> = {};
  const adjustments: Record<string, AdjustmentFact> = {};
  for (const e of events) {
    validate(e);
    if (e.type === "order") {
      const incoming = toOrderFact(e);
      const prev = orders[e.orderId];
      orders[e.orderId] = prev ? newerOrderVersion(prev, incoming) : incoming;
    } else if (e.type === "redeem") {
      const { type: _t, ...fact } = e;
      const prev = redemptions[e.redemptionId];
      if (prev && !sameFact(prev, fact))
        throw new AppError("CONFLICT", `redemption ${e.redemptionId} already recorded with different content`);
      redemptions[e.redemptionId] = prev ?? fact;
    } else {
      const { type: _t, ...fact } = e;
      const prev = adjustments[e.adjustmentId];
      if (prev && !sameFact(prev, fact))
        throw new AppError("CONFLICT", `adjustment ${e.adjustmentId} already recorded with different content`);
      adjustments[e.adjustmentId] = prev ?? fact;
    }
  }
  const idsOf = new Map<string, ReturnType<typeof emptyIds>>();
  const ids = (cid: string) => {
    let x = idsOf.get(cid);
    if (!x) idsOf.set(cid, (x = emptyIds()));
    return x;
  };
  for (const o of Object.values(orders)) if (o.customerId) ids(o.customerId).orderIds.push(o.orderId);
  for (const r of Object.values(redemptions)) ids(r.customerId).redemptionIds.push(r.redemptionId);
  for (const a of Object.values(adjustments)) ids(a.customerId).adjustmentIds.push(a.adjustmentId);
  const facts = { orders, redemptions, adjustments };
  const customers: Record<string, CustomerLedger> = {};
  for (const [cid, x] of idsOf) {
    x.orderIds.sort();
    x.redemptionIds.sort();
    x.adjustmentIds.sort();
    customers[cid] = deriveLedger(cid, x, facts, settings);
  }
  return { settings, orders, redemptions, adjustments, customers };
}
