// Simulated shoppers: after a win-back launch, customers the app treated (eligible for one of its
// segment- or customer-limited code discounts, or carrying one of `treatedTags`) come back with a
// higher daily probability than everybody else, whose baseline comes from their own order history.
// Some treated customers use their code, priced and validated like checkout. Every order goes
// through Emulator.createOrder, so the app receives orders/create like from a real shop.
// Deterministic: each customer's draws come from hash(seed, customer id), independent of the others.
import type { Emulator } from "./index";
import { DiscountCodeRejected, discountStatus, discountsOf, type DiscountRec } from "./modules/discounts";
import { findSegment } from "./modules/marketing";
import { Rng, hash32 } from "./prng";
import { matchesSegment } from "./segment-query";
import type { ShopState } from "./state";

const DAY = 86_400_000;

export interface SimulateOptions {
  /** First simulated day (default: the emulator clock). Orders may be dated before or after the clock. */
  from?: Date;
  days: number;
  seed: number;
  /** Multiplier on the daily reorder probability of treated customers (default 3). */
  uplift?: number;
  /** Share of treated reorders that use the customer's code when it is valid (default 0.6). */
  codeShare?: number;
  /** Customers with any of these tags count as treated too (e.g. a VIP branch without a code). */
  treatedTags?: string[];
  /**
   * "uniform" (default): every treated customer responds with `uplift`. "heterogeneous": only
   * persuadable customers do (see `isPersuadable`: repeat buyers who lapsed a few months ago); the
   * rest respond with a multiplier of 1.1, so an app that targets by who responds, not by who is at
   * risk, recovers more for the same sends (issue 15 item 5).
   */
  response?: "uniform" | "heterogeneous";
  /**
   * Per-offer response for experiments (issue 15 item 4): the multiplier of treated customers whose
   * eligible code is this one replaces `uplift` (keys are codes, case-insensitive).
   */
  upliftByCode?: Record<string, number>;
}

/** Persuadable under the heterogeneous response: at least two orders, the last 90 to 365 days ago. */
export function isPersuadable(shop: ShopState, c: number, at: number): boolean {
  const o = shop.data.orders;
  let n = 0;
  let last = Number.NEGATIVE_INFINITY;
  for (const i of shop.ordersOfCustomer(c)) {
    const t = o.processedAt[i]!;
    if (t > at) continue;
    n++;
    if (t > last) last = t;
  }
  const recencyDays = (at - last) / DAY;
  return n >= 2 && recencyDays >= 90 && recencyDays <= 365;
}

export interface SimulationResult {
  from: string;
  days: number;
  seed: number;
  consideredCustomers: number;
  treatedCustomers: number;
  /** treated customers who respond with the full uplift (all of them under the uniform response) */
  persuadableTreated: number;
  orders: number;
  treatedOrders: number;
  untreatedOrders: number;
  codeRedemptions: number;
  revenue: string;
  orderIds: string[];
}

/** Daily reorder probability from the customer's own history, fading with time since the last order. */
export function baselineDailyProbability(shop: ShopState, c: number, at: number): number {
  const orders = shop.ordersOfCustomer(c);
  const o = shop.data.orders;
  let n = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const i of orders) {
    const t = o.processedAt[i]!;
    if (t > at) continue;
    n++;
    if (t < first) first = t;
    if (t > last) last = t;
  }
  if (n === 0) return 0;
  const tenureDays = Math.max(60, (at - first) / DAY);
  const recencyDays = Math.max(0, (at - last) / DAY);
  return Math.min(0.03, (n / tenureDays) * Math.exp(-recencyDays / 365));
}

function eligibleDiscounts(shop: ShopState): Map<number, DiscountRec[]> {
  const out = new Map<number, DiscountRec[]>();
  const add = (c: number, d: DiscountRec) => {
    const l = out.get(c) ?? [];
    l.push(d);
    out.set(c, l);
  };
  const cs = shop.data.customers;
  for (const d of discountsOf(shop)) {
    if (d.context.kind === "customers") {
      for (const id of d.context.ids) {
        const c = shop.customerIndexFromId(id);
        if (c >= 0) add(c, d);
      }
    } else if (d.context.kind === "segments") {
      const segs = d.context.ids.map((id) => findSegment(shop, id)).filter((s) => !!s);
      for (let c = 0; c < cs.length; c++) if (!cs.deleted.has(c) && segs.some((s) => matchesSegment(shop, c, s!.expr))) add(c, d);
    }
  }
  return out;
}

export function simulateShoppers(emu: Emulator, shopDomain: string, opts: SimulateOptions): SimulationResult {
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 366) throw new Error("days must be an integer between 1 and 366");
  if (!Number.isInteger(opts.seed)) throw new Error("seed must be an integer");
  const shop = emu.shop(shopDomain);
  const from = opts.from?.getTime() ?? Date.now();
  const uplift = opts.uplift ?? 3;
  const codeShare = opts.codeShare ?? 0.6;
  const treatedTags = (opts.treatedTags ?? []).map((t) => t.toLowerCase());
  const cs = shop.data.customers;
  const eligible = eligibleDiscounts(shop);

  interface Event {
    at: number;
    c: number;
    treated: boolean;
    rng: Rng;
  }
  const events: Event[] = [];
  let considered = 0;
  let treatedCount = 0;
  let persuadableTreated = 0;
  const upliftByCode = new Map(Object.entries(opts.upliftByCode ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  for (let c = 0; c < cs.length; c++) {
    if (cs.deleted.has(c)) continue;
    const base = baselineDailyProbability(shop, c, from);
    if (base <= 0) continue;
    considered++;
    const treated = eligible.has(c) || (treatedTags.length > 0 && (cs.tags[c] ?? []).some((t) => treatedTags.includes(t.toLowerCase())));
    if (treated) treatedCount++;
    let multiplier = 1;
    if (treated) {
      const byCode = (eligible.get(c) ?? []).map((d) => upliftByCode.get(d.code.toLowerCase())).find((m) => m !== undefined);
      const full = byCode ?? uplift;
      const persuadable = opts.response !== "heterogeneous" || isPersuadable(shop, c, from);
      if (persuadable) persuadableTreated++;
      multiplier = persuadable ? full : 1.1;
    }
    const p = Math.min(0.25, base * multiplier);
    const rng = new Rng(hash32(opts.seed, shop.customerLegacyId(c) % 2_147_483_647));
    // First reorder day of a daily Bernoulli(p) process, drawn in one step (geometric).
    const day = Math.floor(Math.log(1 - rng.float()) / Math.log(1 - p));
    if (day >= opts.days) continue;
    events.push({ at: from + day * DAY + Math.floor(rng.float() * DAY), c, treated, rng });
  }
  events.sort((a, b) => a.at - b.at || a.c - b.c);

  const result: SimulationResult = {
    from: new Date(from).toISOString(),
    days: opts.days,
    seed: opts.seed,
    consideredCustomers: considered,
    treatedCustomers: treatedCount,
    persuadableTreated,
    orders: 0,
    treatedOrders: 0,
    untreatedOrders: 0,
    codeRedemptions: 0,
    revenue: "0.00",
    orderIds: [],
  };
  let revenue = 0;
  const catalog = shop.data.catalog;
  for (const e of events) {
    const productIndex = e.rng.int(catalog.length);
    const product = catalog[productIndex]!;
    const variantIndex = e.rng.int(product.variants.length);
    const unit = product.variants[variantIndex]!.priceCents;
    let quantity = 1 + e.rng.int(3);
    let codes: string[] | undefined;
    if (e.treated && e.rng.bool(codeShare)) {
      const d = (eligible.get(e.c) ?? []).find((x) => discountStatus(x, e.at) === "ACTIVE");
      if (d) {
        codes = [d.code];
        if (d.minSubtotalCents != null) quantity = Math.max(quantity, Math.ceil(d.minSubtotalCents / Math.max(1, unit)));
      }
    }
    const input = {
      customerId: shop.customerLegacyId(e.c),
      processedAt: new Date(e.at),
      lineItems: [{ productIndex, variantIndex, quantity }],
      discountCodes: codes,
    };
    let payload;
    try {
      payload = emu.createOrder(shopDomain, input);
    } catch (err) {
      // The code was not applicable after all (used, limit reached): the shopper pays full price.
      if (!(err instanceof DiscountCodeRejected)) throw err;
      payload = emu.createOrder(shopDomain, { ...input, discountCodes: undefined });
      codes = undefined;
    }
    result.orders++;
    if (e.treated) result.treatedOrders++;
    else result.untreatedOrders++;
    if (codes) result.codeRedemptions++;
    revenue += Math.round(Number(payload.total_price) * 100);
    result.orderIds.push(payload.admin_graphql_api_id);
  }
  result.revenue = (revenue / 100).toFixed(2);
  shop.store("simulations", () => [] as unknown[]).push({ ...result, orderIds: undefined });
  return result;
}
