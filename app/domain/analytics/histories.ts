import { AppError } from "../../lib/errors";
import { localDay } from "./dates";

export interface OrderFact {
  customerId: string | null;
  processedAt: Date | string;
  value: number;
  currency?: string;
  test: boolean;
  cancelled: boolean;
}

/**
 * Purchase-day histories in CSR layout: customer i owns entries offsets[i]..offsets[i+1], sorted by day,
 * one entry per calendar day (same-day orders merged). Typed arrays keep 5M orders in ~60 MB.
 */
export interface PurchaseHistories {
  customerIds: string[];
  offsets: Int32Array;
  days: Int32Array;
  values: Float64Array;
  orders: Int32Array;
  guestDays: Int32Array;
  guestValues: Float64Array;
  excluded: { test: number; cancelled: number };
}

class Grow {
  i32: Int32Array[] = [new Int32Array(1024), new Int32Array(1024)];
  f64 = new Float64Array(1024);
  n = 0;
  push(a: number, b: number, v: number) {
    if (this.n === this.f64.length) {
      const cap = this.n * 2;
      this.i32 = this.i32.map((x) => {
        const y = new Int32Array(cap);
        y.set(x);
        return y;
      });
      const f = new Float64Array(cap);
      f.set(this.f64);
      this.f64 = f;
    }
    this.i32[0][this.n] = a;
    this.i32[1][this.n] = b;
    this.f64[this.n] = v;
    this.n++;
  }
}

export class HistoryAccumulator {
  private index = new Map<string, number>();
  private ids: string[] = [];
  private orders = new Grow();
  private guests = new Grow();
  private excluded = { test: 0, cancelled: 0 };
  constructor(private readonly timeZone = "UTC") {}

  add(o: OrderFact): void {
    if (o.test) {
      this.excluded.test++;
      return;
    }
    if (o.cancelled) {
      this.excluded.cancelled++;
      return;
    }
    if (!Number.isFinite(o.value)) throw new AppError("INVALID_INPUT", `Order value is not a number: ${o.value}`);
    this.addDay(o.customerId, localDay(o.processedAt, this.timeZone), o.value);
  }

  /** Fast path for callers that already hold a local day number of a qualifying order. */
  addDay(customerId: string | null, day: number, value: number): void {
    if (customerId === null) {
      this.guests.push(day, 0, value);
      return;
    }
    let c = this.index.get(customerId);
    if (c === undefined) {
      c = this.ids.length;
      this.index.set(customerId, c);
      this.ids.push(customerId);
    }
    this.orders.push(c, day, value);
  }

  build(): PurchaseHistories {
    const n = this.orders.n;
    const cust = this.orders.i32[0],
      day = this.orders.i32[1],
      val = this.orders.f64;
    const C = this.ids.length;
    let minD = Infinity,
      maxD = -Infinity;
    for (let i = 0; i < n; i++) {
      if (day[i] < minD) minD = day[i];
      if (day[i] > maxD) maxD = day[i];
    }
    // two stable counting sorts (by day, then by customer) leave each customer's orders in day order
    const byDay = new Int32Array(n);
    if (n > 0) {
      const cnt = new Int32Array(maxD - minD + 2);
      for (let i = 0; i < n; i++) cnt[day[i] - minD + 1]++;
      for (let k = 1; k < cnt.length; k++) cnt[k] += cnt[k - 1];
      for (let i = 0; i < n; i++) byDay[cnt[day[i] - minD]++] = i;
    }
    const cstart = new Int32Array(C + 1);
    for (let i = 0; i < n; i++) cstart[cust[i] + 1]++;
    for (let k = 1; k <= C; k++) cstart[k] += cstart[k - 1];
    const pos = cstart.slice();
    const sorted = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const i = byDay[k];
      sorted[pos[cust[i]]++] = i;
    }
    const offsets = new Int32Array(C + 1);
    const days = new Int32Array(n),
      values = new Float64Array(n),
      orders = new Int32Array(n);
    let m = 0;
    for (let c = 0; c < C; c++) {
      offsets[c] = m;
      for (let k = cstart[c]; k < cstart[c + 1]; k++) {
        const i = sorted[k];
        if (m > offsets[c] && days[m - 1] === day[i]) {
          values[m - 1] += val[i];
          orders[m - 1]++;
        } else {
          days[m] = day[i];
          values[m] = val[i];
          orders[m] = 1;
          m++;
        }
      }
    }
    offsets[C] = m;
    return {
      customerIds: this.ids.slice(),
      offsets,
      days: days.slice(0, m),
      values: values.slice(0, m),
      orders: orders.slice(0, m),
      guestDays: this.guests.i32[0].slice(0, this.guests.n),
      guestValues: this.guests.f64.slice(0, this.guests.n),
      excluded: { ...this.excluded },
    };
  }
}

export function buildHistories(orders: Iterable<OrderFact>, timeZone = "UTC"): PurchaseHistories {
  const acc = new HistoryAccumulator(timeZone);
  for (const o of orders) acc.add(o);
  return acc.build();
}

/**
 * Builds the same PurchaseHistories as HistoryAccumulator from orders that arrive customer by
 * customer, each customer's orders oldest first (how the sync's purchaseColumnBatches reads them):
 * no id map and no global sort, so a million customers cost their typed arrays and the id strings.
 * A customer must not come back after another one started (that would be two histories for one id).
 */
export class OrderedHistoryBuilder {
  private ids: string[] = [];
  private offsets = new Int32Array(1024);
  private days = new Int32Array(1024);
  private values = new Float64Array(1024);
  private orders = new Int32Array(1024);
  private n = 0;
  private start = 0;
  private guests = new Grow();
  constructor(private readonly timeZone = "UTC") {}

  /** The next customer; their orders follow with `order`. */
  customer(id: string): void {
    const c = this.ids.length;
    if (c + 1 >= this.offsets.length) this.offsets = grown(this.offsets, this.offsets.length * 2);
    this.offsets[c] = this.n;
    this.ids.push(id);
    this.start = this.n;
  }

  /** An order of the current customer at `atMs` (epoch ms), oldest first. */
  order(atMs: number, value: number): void {
    if (!this.ids.length) throw new AppError("INVALID_INPUT", "An order came before its customer");
    if (!Number.isFinite(value)) throw new AppError("INVALID_INPUT", `Order value is not a number: ${value}`);
    const day = localDay(atMs, this.timeZone);
    const last = this.n - 1;
    if (last >= this.start && this.days[last]! >= day) {
      // Same local day (merged), or, rarely, an earlier one: a zone whose clocks go back across midnight.
      let k = last;
      while (k > this.start && this.days[k]! > day) k--;
      if (this.days[k] === day) {
        this.values[k]! += value;
        this.orders[k]!++;
        return;
      }
      if (this.days[k]! < day) k++;
      this.push(0, 0, 0);
      this.days.copyWithin(k + 1, k, this.n - 1);
      this.values.copyWithin(k + 1, k, this.n - 1);
      this.orders.copyWithin(k + 1, k, this.n - 1);
      this.days[k] = day;
      this.values[k] = value;
      this.orders[k] = 1;
      return;
    }
    this.push(day, value, 1);
  }

  /** A guest order (no customer): counted in the shop's totals only. */
  guest(atMs: number, value: number): void {
    if (!Number.isFinite(value)) throw new AppError("INVALID_INPUT", `Order value is not a number: ${value}`);
    this.guests.push(localDay(atMs, this.timeZone), 0, value);
  }

  private push(day: number, value: number, orders: number) {
    if (this.n === this.days.length) {
      const cap = this.n * 2;
      this.days = grown(this.days, cap);
      this.orders = grown(this.orders, cap);
      const v = new Float64Array(cap);
      v.set(this.values);
      this.values = v;
    }
    this.days[this.n] = day;
    this.values[this.n] = value;
    this.orders[this.n] = orders;
    this.n++;
  }

  build(excluded: { test: number; cancelled: number } = { test: 0, cancelled: 0 }): PurchaseHistories {
    const C = this.ids.length;
    const offsets = this.offsets.slice(0, C + 1);
    offsets[C] = this.n;
    // Customers whose every order was merged away cannot exist (an order always adds a day), but a
    // customer with no orders at all can: they keep an empty range, which analyze skips.
    return {
      customerIds: this.ids,
      offsets,
      days: this.days.slice(0, this.n),
      values: this.values.slice(0, this.n),
      orders: this.orders.slice(0, this.n),
      guestDays: this.guests.i32[0]!.slice(0, this.guests.n),
      guestValues: this.guests.f64.slice(0, this.guests.n),
      excluded: { ...excluded },
    };
  }
}

function grown(a: Int32Array, cap: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
