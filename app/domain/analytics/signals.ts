import { localDay } from "./dates";

/**
 * Signals beyond purchase history that join the churn score's features where the shop has them
 * (issue 15 item 6, docs/decisions/110-score-signals.md):
 * - "discount": a purchase day with an order that used a discount code (deal-driven buyers come back
 *   less often without one);
 * - "refund": a purchase day with an order refunded in part or whole;
 * - "click": a human click in one of the shop's emails (ADR 093; machine opens are never signals).
 * Each is an event on a local day; the features read only events on or before the day they are
 * computed for, so the combiner can be trained at an earlier cut without seeing the future.
 */
export const SIGNAL_KINDS = ["discount", "refund", "click"] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

/** Clicks count over this many days before the day a feature is computed for. */
export const CLICK_WINDOW_DAYS = 90;

/** Events as read from storage: event k is `customerIds[k]`'s SIGNAL_KINDS[kinds[k]] at `at[k]` (epoch ms). */
export interface SignalEvents {
  customerIds: string[];
  kinds: Uint8Array;
  at: Float64Array;
}

/** Events per customer in CSR layout, aligned to a PurchaseHistories' customer indices, sorted by day. */
export interface CustomerSignals {
  offsets: Int32Array;
  days: Int32Array;
  kinds: Uint8Array;
}

/** Collects events by customer id (any order), then aligns them to the histories' customers. */
export class SignalsBuilder {
  private byCustomer = new Map<string, number[]>();
  private n = 0;
  constructor(private readonly timeZone = "UTC") {}

  add(customerId: string, kind: SignalKind, at: Date | string | number): void {
    this.addDay(customerId, kind, localDay(at, this.timeZone));
  }

  addDay(customerId: string, kind: SignalKind, day: number): void {
    let list = this.byCustomer.get(customerId);
    if (!list) this.byCustomer.set(customerId, (list = []));
    // day and kind packed in one number: days fit 2^40 easily, kinds in the low 2 bits
    list.push(day * 4 + SIGNAL_KINDS.indexOf(kind));
    this.n++;
  }

  get size(): number {
    return this.n;
  }

  /** Events of the given customers (in their order); events of other customers are dropped. */
  build(customerIds: readonly string[]): CustomerSignals {
    const offsets = new Int32Array(customerIds.length + 1);
    let n = 0;
    for (let c = 0; c < customerIds.length; c++) {
      offsets[c] = n;
      n += this.byCustomer.get(customerIds[c])?.length ?? 0;
    }
    offsets[customerIds.length] = n;
    const days = new Int32Array(n),
      kinds = new Uint8Array(n);
    for (let c = 0; c < customerIds.length; c++) {
      const list = this.byCustomer.get(customerIds[c]);
      if (!list) continue;
      list.sort((a, b) => a - b);
      for (let k = 0; k < list.length; k++) {
        days[offsets[c] + k] = Math.floor(list[k] / 4);
        kinds[offsets[c] + k] = list[k] - Math.floor(list[k] / 4) * 4;
      }
    }
    return { offsets, days, kinds };
  }
}

/**
 * The signal features of customer `c` as of `day`, for the kinds in `used` (in that order):
 * discount and refund as the share of the customer's purchase days by then (capped at 1),
 * click as log(1 + human clicks in the CLICK_WINDOW_DAYS up to the day).
 */
export function signalFeatures(s: CustomerSignals, c: number, day: number, purchaseDays: number, used: readonly SignalKind[]): number[] {
  if (!used.length) return [];
  let discount = 0,
    refund = 0,
    click = 0;
  for (let k = s.offsets[c], e = s.offsets[c + 1]; k < e && s.days[k] <= day; k++) {
    const kind = SIGNAL_KINDS[s.kinds[k]];
    if (kind === "discount") discount++;
    else if (kind === "refund") refund++;
    else if (s.days[k] > day - CLICK_WINDOW_DAYS) click++;
  }
  const share = (v: number) => Math.min(1, v / Math.max(1, purchaseDays));
  return used.map((kind) => (kind === "discount" ? share(discount) : kind === "refund" ? share(refund) : Math.log1p(click)));
}

/**
 * The kinds a shop "has" among the customers `idx` as of `day`: a kind joins the features when at least
 * `minShare` of them (and at least `minCustomers`) show it and at least as many do not; a signal nearly
 * everyone or nearly no one has teaches the combiner nothing but noise.
 */
export function presentSignals(
  s: CustomerSignals,
  idx: ArrayLike<number>,
  day: number,
  opts: { minCustomers?: number; minShare?: number } = {},
): SignalKind[] {
  const need = Math.max(opts.minCustomers ?? 30, Math.ceil((opts.minShare ?? 0.01) * idx.length));
  const counts = new Int32Array(SIGNAL_KINDS.length);
  const seen = new Uint8Array(SIGNAL_KINDS.length);
  for (let i = 0; i < idx.length; i++) {
    const c = idx[i];
    seen.fill(0);
    for (let k = s.offsets[c], e = s.offsets[c + 1]; k < e && s.days[k] <= day; k++) {
      const kind = s.kinds[k];
      if (SIGNAL_KINDS[kind] === "click" && s.days[k] <= day - CLICK_WINDOW_DAYS) continue;
      seen[kind] = 1;
    }
    for (let j = 0; j < seen.length; j++) counts[j] += seen[j];
  }
  return SIGNAL_KINDS.filter((_, j) => counts[j] >= need && idx.length - counts[j] >= need);
}
