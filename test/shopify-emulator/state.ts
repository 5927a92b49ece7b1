// One shop's state: generated data plus everything the app changed, and views used by resolvers.
import {
  CUSTOMER_ID_BASE, DISCOUNT_CODES, EMAIL_STATES, FLAG_CANCELLED, FLAG_PARTIAL_REFUND, FLAG_PENDING, FLAG_REFUNDED, FLAG_TEST,
  LINE_ITEM_ID_BASE, OPT_IN_LEVELS, ORDER_ID_BASE, SMS_STATES, deriveLineItems, generateShop,
  type CustomerExtra, type LineItemRec, type SeedOptions, type ShopSeed,
} from "./generator";

export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export const money = (cents: number): string => (Math.round(cents) / 100).toFixed(2);

export const gid = (type: string, id: number | string) => `gid://shopify/${type}/${id}`;
export function parseGid(g: string): { type: string; id: number } | null {
  const m = /^gid:\/\/shopify\/(\w+)\/(\d+)(\?.*)?$/.exec(g);
  return m ? { type: m[1]!, id: Number(m[2]) } : null;
}

export interface MutationLogEntry { at: string; field: string; args: unknown; result?: unknown }

export interface OrderInput {
  customerId?: string | number | null; // gid or legacy id or null for guest
  processedAt?: Date | string;
  lineItems?: Array<{ productIndex?: number; variantIndex?: number; quantity?: number; priceCents?: number }>;
  totalCents?: number;
  test?: boolean;
  discountCode?: string | null;
  financialStatus?: "PAID" | "PENDING";
}

export interface OrderPatch { cancelled?: boolean; refundCents?: number; test?: boolean }
export interface CustomerPatch {
  email?: string | null; firstName?: string | null; lastName?: string | null; phone?: string | null;
  tags?: string[];
  emailMarketingState?: (typeof EMAIL_STATES)[number]; emailOptInLevel?: (typeof OPT_IN_LEVELS)[number];
  smsMarketingState?: (typeof SMS_STATES)[number];
}

export class ShopState {
  readonly domain: string;
  readonly handle: string;
  readonly data: ShopSeed;
  /** Everything the app wrote through mutations, in order. */
  readonly mutations: MutationLogEntry[] = [];
  /** Free-form per-feature stores for modules (discounts, segments, metafields, ...). */
  readonly stores: Record<string, unknown> = {};
  installed = true;
  private customerOrderIndex: { offsets: Int32Array; orders: Int32Array; builtAt: number } | undefined;

  constructor(domain: string, seed: SeedOptions | ShopSeed, private readonly now: () => number) {
    this.domain = domain;
    this.handle = domain.replace(/\.myshopify\.com$/, "");
    this.data = "orders" in seed && typeof (seed as ShopSeed).orders === "object" ? (seed as ShopSeed) : generateShop(domain, { now: new Date(now()), ...(seed as SeedOptions) });
  }

  store<T>(name: string, init: () => T): T {
    if (!(name in this.stores)) this.stores[name] = init();
    return this.stores[name] as T;
  }

  logMutation(field: string, args: unknown, result?: unknown) {
    this.mutations.push({ at: iso(this.now()), field, args, result });
  }

  // ---- orders ----
  orderCount(): number {
    return this.data.orders.length - this.data.orders.deleted.size;
  }
  customerCount(): number {
    return this.data.customers.length - this.data.customers.deleted.size;
  }
  orderIndexFromId(id: string | number): number {
    const legacy = typeof id === "number" ? id : (parseGid(id)?.id ?? Number(id));
    const i = legacy - ORDER_ID_BASE - 1;
    return Number.isInteger(i) && i >= 0 && i < this.data.orders.length && !this.data.orders.deleted.has(i) ? i : -1;
  }
  customerIndexFromId(id: string | number): number {
    const legacy = typeof id === "number" ? id : (parseGid(id)?.id ?? Number(id));
    const i = legacy - CUSTOMER_ID_BASE - 1;
    return Number.isInteger(i) && i >= 0 && i < this.data.customers.length && !this.data.customers.deleted.has(i) ? i : -1;
  }
  orderLegacyId(i: number) { return ORDER_ID_BASE + i + 1; }
  customerLegacyId(i: number) { return CUSTOMER_ID_BASE + i + 1; }

  lineItems(i: number): LineItemRec[] {
    const o = this.data.orders;
    return o.explicitLines.get(i) ?? deriveLineItems(i, o.lineSeed[i]!, o.nLines[i]!, o.qty0[i]!, this.data.catalog, this.data.cumWeights);
  }

  financialStatus(i: number): string {
    const f = this.data.orders.flags[i]!;
    if (f & FLAG_CANCELLED) return this.data.orders.totalCents[i]! > 0 && !(f & FLAG_PENDING) ? "REFUNDED" : "VOIDED";
    if (f & FLAG_REFUNDED) return "REFUNDED";
    if (f & FLAG_PARTIAL_REFUND) return "PARTIALLY_REFUNDED";
    if (f & FLAG_PENDING) return "PENDING";
    return "PAID";
  }

  /** Orders of one customer (indices ascending). Index is rebuilt lazily after changes. */
  ordersOfCustomer(c: number): Int32Array {
    const o = this.data.orders;
    if (!this.customerOrderIndex || this.customerOrderIndex.builtAt !== o.length) {
      const nC = this.data.customers.length;
      const counts = new Int32Array(nC + 1);
      for (let i = 0; i < o.length; i++) { const cu = o.customer[i]!; if (cu >= 0) counts[cu + 1]!++; }
      for (let k = 0; k < nC; k++) counts[k + 1]! += counts[k]!;
      const fill = counts.slice(0, nC);
      const orders = new Int32Array(counts[nC]!);
      for (let i = 0; i < o.length; i++) { const cu = o.customer[i]!; if (cu >= 0) orders[fill[cu]!++] = i; }
      this.customerOrderIndex = { offsets: counts, orders, builtAt: o.length };
    }
    const { offsets, orders } = this.customerOrderIndex;
    if (c + 1 >= offsets.length) return new Int32Array(0);
    return orders.subarray(offsets[c]!, offsets[c + 1]!);
  }

  /** Plain view of an order (fields named like the Admin API where they are scalars). */
  orderView(i: number) {
    const o = this.data.orders;
    const legacyId = this.orderLegacyId(i);
    const f = o.flags[i]!;
    const c = o.customer[i]!;
    const cancelled = o.cancelledAt[i]!;
    return {
      __typename: "Order" as const,
      _idx: i,
      id: gid("Order", legacyId),
      legacyResourceId: String(legacyId),
      name: `#${1001 + i}`,
      processedAt: iso(o.processedAt[i]!),
      createdAt: iso(o.processedAt[i]!),
      updatedAt: iso(o.updatedAt[i]!),
      cancelledAt: Number.isNaN(cancelled) ? null : iso(cancelled),
      cancelReason: Number.isNaN(cancelled) ? null : "CUSTOMER",
      closed: !Number.isNaN(cancelled),
      test: (f & FLAG_TEST) !== 0,
      displayFinancialStatus: this.financialStatus(i),
      currencyCode: this.data.currencyCode,
      discountCodes: o.discount[i]! >= 0 ? [DISCOUNT_CODES[o.discount[i]!]!] : [],
      email: c >= 0 ? this.data.customers.email(c) : `guest.${legacyId}@example.net`,
      _customerIdx: c,
      _totalCents: o.totalCents[i]!,
      _currentCents: o.currentCents[i]!,
    };
  }

  customerView(c: number) {
    const cs = this.data.customers;
    const legacyId = this.customerLegacyId(c);
    const first = cs.firstName(c);
    const last = cs.lastName(c);
    const email = cs.email(c);
    const displayName = [first, last].filter(Boolean).join(" ") || email || cs.phone(c) || "";
    return {
      __typename: "Customer" as const,
      _idx: c,
      id: gid("Customer", legacyId),
      legacyResourceId: String(legacyId),
      firstName: first,
      lastName: last,
      displayName,
      email,
      phone: cs.phone(c),
      tags: cs.tags[c] ?? [],
      createdAt: iso(cs.createdAt[c]!),
      updatedAt: iso(cs.updatedAt[c]!),
      numberOfOrders: String(cs.ordersCount[c]!),
      state: "ENABLED",
      verifiedEmail: email != null,
      _spentCents: cs.spentCents[c]!,
      _emailState: EMAIL_STATES[cs.emailState[c]!]!,
      _emailOptIn: OPT_IN_LEVELS[cs.emailOptIn[c]!]!,
      _emailConsentAt: Number.isNaN(cs.emailConsentAt[c]!) ? null : iso(cs.emailConsentAt[c]!),
      _smsState: SMS_STATES[cs.smsState[c]!]!,
      _smsConsentAt: Number.isNaN(cs.smsConsentAt[c]!) ? null : iso(cs.smsConsentAt[c]!),
    };
  }

  // ---- mutations used by the emulator API (webhooks are fired by the caller) ----
  createOrder(input: OrderInput = {}): number {
    const now = this.now();
    const t = input.processedAt ? new Date(input.processedAt).getTime() : now;
    const cust = input.customerId == null ? -1 : this.customerIndexFromId(input.customerId as string);
    if (input.customerId != null && cust < 0) throw new Error(`Unknown customer ${input.customerId}`);
    const o = this.data.orders;
    const i = o.length;
    const lines: LineItemRec[] = (input.lineItems?.length ? input.lineItems : [{ productIndex: 0 }]).map((li, l) => {
      const p = this.data.catalog[(li.productIndex ?? 0) % this.data.catalog.length]!;
      const v = (li.variantIndex ?? 0) % p.variants.length;
      return { legacyId: LINE_ITEM_ID_BASE + i * 64 + l + 1, productIndex: p.index, variantIndex: v, quantity: li.quantity ?? 1, unitPriceCents: li.priceCents ?? p.variants[v]!.priceCents };
    });
    const total = input.totalCents ?? lines.reduce((s, li) => s + li.unitPriceCents * li.quantity, 0);
    const di = input.discountCode ? DISCOUNT_CODES.indexOf(input.discountCode) : -1;
    o.push({ customer: cust, processedAt: t, updatedAt: now, cancelledAt: Number.NaN, totalCents: total, currentCents: total,
      flags: (input.test ? FLAG_TEST : 0) | (input.financialStatus === "PENDING" ? FLAG_PENDING : 0), lineSeed: 0, nLines: lines.length, qty0: 1, discount: di });
    o.explicitLines.set(i, lines);
    if (cust >= 0) {
      const cs = this.data.customers;
      cs.ordersCount[cust]!++;
      if (!input.test) cs.spentCents[cust]! += total;
      cs.updatedAt[cust] = now;
    }
    return i;
  }

  updateOrder(i: number, patch: OrderPatch) {
    const o = this.data.orders;
    const now = this.now();
    const before = o.currentCents[i]!;
    if (patch.cancelled) { o.flags[i]! |= FLAG_CANCELLED | FLAG_REFUNDED; o.cancelledAt[i] = now; o.currentCents[i] = 0; }
    if (patch.refundCents != null) {
      o.currentCents[i] = Math.max(0, o.currentCents[i]! - patch.refundCents);
      o.flags[i]! |= o.currentCents[i] === 0 ? FLAG_REFUNDED : FLAG_PARTIAL_REFUND;
    }
    if (patch.test != null) o.flags[i] = patch.test ? o.flags[i]! | FLAG_TEST : o.flags[i]! & ~FLAG_TEST;
    o.updatedAt[i] = now;
    const c = o.customer[i]!;
    if (c >= 0 && !(o.flags[i]! & FLAG_TEST)) { this.data.customers.spentCents[c]! += o.currentCents[i]! - before; this.data.customers.updatedAt[c] = now; }
  }

  createCustomer(extra: CustomerExtra & { tags?: string[]; emailState?: number }): number {
    const now = this.now();
    const cs = this.data.customers;
    const c = cs.push({ createdAt: now, updatedAt: now, emailState: extra.emailState ?? 0, emailOptIn: 2, emailConsentAt: Number.NaN, smsState: 0, smsConsentAt: Number.NaN, hasEmail: !!extra.email, hasPhone: !!extra.phone, tags: extra.tags });
    cs.extra.set(c, { firstName: extra.firstName ?? null, lastName: extra.lastName ?? null, email: extra.email ?? null, phone: extra.phone ?? null });
    return c;
  }

  updateCustomer(c: number, patch: CustomerPatch) {
    const cs = this.data.customers;
    const now = this.now();
    const extra = { ...(cs.extra.get(c) ?? {}) };
    for (const k of ["email", "firstName", "lastName", "phone"] as const) if (patch[k] !== undefined) extra[k] = patch[k];
    cs.extra.set(c, extra);
    if (patch.tags) cs.tags[c] = [...new Set(patch.tags.map((t) => t.trim()).filter(Boolean))].sort();
    if (patch.emailMarketingState) { cs.emailState[c] = EMAIL_STATES.indexOf(patch.emailMarketingState); cs.emailConsentAt[c] = now; }
    if (patch.emailOptInLevel) cs.emailOptIn[c] = OPT_IN_LEVELS.indexOf(patch.emailOptInLevel);
    if (patch.smsMarketingState) { cs.smsState[c] = SMS_STATES.indexOf(patch.smsMarketingState); cs.smsConsentAt[c] = now; }
    cs.updatedAt[c] = now;
  }

  /** REST-shaped webhook payloads. */
  orderPayload(i: number) {
    const v = this.orderView(i);
    const o = this.data.orders;
    const legacy = this.orderLegacyId(i);
    const c = o.customer[i]!;
    return {
      id: legacy,
      admin_graphql_api_id: v.id,
      name: v.name,
      order_number: 1001 + i,
      email: v.email,
      created_at: v.createdAt,
      processed_at: v.processedAt,
      updated_at: v.updatedAt,
      cancelled_at: v.cancelledAt,
      cancel_reason: v.cancelReason ? v.cancelReason.toLowerCase() : null,
      test: v.test,
      currency: this.data.currencyCode,
      presentment_currency: this.data.currencyCode,
      total_price: money(v._totalCents),
      subtotal_price: money(v._totalCents),
      current_total_price: money(v._currentCents),
      current_subtotal_price: money(v._currentCents),
      financial_status: v.displayFinancialStatus.toLowerCase(),
      discount_codes: v.discountCodes.map((code) => ({ code, amount: "0.00", type: "percentage" })),
      customer: c >= 0 ? { id: this.customerLegacyId(c), admin_graphql_api_id: gid("Customer", this.customerLegacyId(c)), email: this.data.customers.email(c) } : null,
      line_items: this.lineItems(i).map((li) => {
        const p = this.data.catalog[li.productIndex]!;
        const va = p.variants[li.variantIndex]!;
        return { id: li.legacyId, admin_graphql_api_id: gid("LineItem", li.legacyId), product_id: p.legacyId, variant_id: va.legacyId, title: p.title, variant_title: va.title, vendor: p.vendor, quantity: li.quantity, price: money(li.unitPriceCents), sku: va.sku };
      }),
    };
  }

  customerPayload(c: number) {
    const v = this.customerView(c);
    const legacy = this.customerLegacyId(c);
    return {
      id: legacy,
      admin_graphql_api_id: v.id,
      email: v.email,
      first_name: v.firstName,
      last_name: v.lastName,
      phone: v.phone,
      created_at: v.createdAt,
      updated_at: v.updatedAt,
      state: "enabled",
      verified_email: v.verifiedEmail,
      tags: v.tags.join(", "),
      currency: this.data.currencyCode,
      email_marketing_consent: v.email ? { state: v._emailState.toLowerCase(), opt_in_level: v._emailOptIn.toLowerCase(), consent_updated_at: v._emailConsentAt } : null,
      sms_marketing_consent: v.phone ? { state: v._smsState.toLowerCase(), opt_in_level: "single_opt_in", consent_updated_at: v._smsConsentAt, consent_collected_from: "OTHER" } : null,
    };
  }

  inspect() {
    return {
      domain: this.domain,
      installed: this.installed,
      orders: this.orderCount(),
      customers: this.customerCount(),
      mutations: this.mutations,
      customerTagsChanged: this.mutations.filter((m) => /tags|customerUpdate/i.test(m.field)).length,
      stores: this.stores,
    };
  }
}
