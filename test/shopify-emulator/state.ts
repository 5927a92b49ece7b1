// One shop's state: generated data plus everything the app changed, and views used by resolvers.
import {
  CUSTOMER_ID_BASE,
  DISCOUNT_CODES,
  EMAIL_STATES,
  FLAG_CANCELLED,
  FLAG_PARTIAL_REFUND,
  FLAG_PENDING,
  FLAG_REFUNDED,
  FLAG_TEST,
  LINE_ITEM_ID_BASE,
  OPT_IN_LEVELS,
  ORDER_ID_BASE,
  SMS_STATES,
  deriveLineItems,
  generateShop,
  type CustomerExtra,
  type LineItemRec,
  type SeedOptions,
  type ShopSeed,
} from "./generator";
import { FULL_ACCESS, type ProtectedCustomerDataAccess } from "./protected-data";
import { commitRedemption, priceDiscountCodes, type AppliedCode } from "./modules/discounts";

export const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 19) + "Z";
export const money = (cents: number): string => (Math.round(cents) / 100).toFixed(2);

export const gid = (type: string, id: number | string) => `gid://shopify/${type}/${id}`;
export function parseGid(g: string): { type: string; id: number } | null {
  const m = /^gid:\/\/shopify\/(\w+)\/(\d+)(\?.*)?$/.exec(g);
  return m ? { type: m[1]!, id: Number(m[2]) } : null;
}

export interface MutationLogEntry {
  at: string;
  field: string;
  args: unknown;
  result?: unknown;
}

export interface OrderInput {
  customerId?: string | number | null; // gid or legacy id or null for guest
  processedAt?: Date | string;
  lineItems?: Array<{ productIndex?: number; variantIndex?: number; quantity?: number; priceCents?: number }>;
  totalCents?: number;
  test?: boolean;
  discountCode?: string | null;
  /** Codes of discounts created through the API; validated and priced like checkout (throws DiscountCodeRejected). */
  discountCodes?: string[];
  financialStatus?: "PAID" | "PENDING";
}

export interface OrderPatch {
  cancelled?: boolean;
  refundCents?: number;
  test?: boolean;
}
export interface CustomerPatch {
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  phone?: string | null;
  tags?: string[];
  emailMarketingState?: (typeof EMAIL_STATES)[number];
  emailOptInLevel?: (typeof OPT_IN_LEVELS)[number];
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
  /** Codes of API-created discounts applied to orders (generated orders use `orders.discount`). */
  readonly orderDiscountCodes = new Map<number, AppliedCode[]>();
  installed = true;
  /** What the app may read of protected customer data (protected-data.ts); Shopify's approval state. */
  protectedCustomerData: ProtectedCustomerDataAccess = FULL_ACCESS;
  private customerOrderIndex: { offsets: Int32Array; orders: Int32Array; builtAt: number } | undefined;

  constructor(
    domain: string,
    seed: SeedOptions | ShopSeed,
    private readonly now: () => number,
  ) {
    this.domain = domain;
    this.handle = domain.replace(/\.myshopify\.com$/, "");
    this.data =
      "orders" in seed && typeof (seed as ShopSeed).orders === "object"
        ? (seed as ShopSeed)
        : generateShop(domain, { now: new Date(now()), ...(seed as SeedOptions) });
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
  orderLegacyId(i: number) {
    return ORDER_ID_BASE + i + 1;
  }
  customerLegacyId(i: number) {
    return CUSTOMER_ID_BASE + i + 1;
  }

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
      for (let i = 0; i < o.length; i++) {
        const cu = o.customer[i]!;
        if (cu >= 0) counts[cu + 1]!++;
      }
      for (let k = 0; k < nC; k++) counts[k + 1]! += counts[k]!;
      const fill = counts.slice(0, nC);
      const orders = new Int32Array(counts[nC]!);
      for (let i = 0; i < o.length; i++) {
        const cu = o.customer[i]!;
        if (cu >= 0) orders[fill[cu]!++] = i;
      }
      this.customerOrderIndex = { offsets: counts, orders, builtAt: o.length };
    }
    const { offsets, orders } = this.customerOrderIndex;
    if (c + 1 >= offsets.length) return new Int32Array(0);
    return orders.subarray(offsets[c]!, offsets[c + 1]!);
  }

  /** Plain view of an order (fields named like the Admin API where they are scalars). */
  /** Plain view of an order (fields named like the Admin API where they are scalars). */
  orderView(i: number): OrderView {
    return new OrderView(this, i);
  }

  customerView(c: number): CustomerView {
    return new CustomerView(this, c);
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
      return {
        legacyId: LINE_ITEM_ID_BASE + i * 64 + l + 1,
        productIndex: p.index,
        variantIndex: v,
        quantity: li.quantity ?? 1,
        unitPriceCents: li.priceCents ?? p.variants[v]!.priceCents,
      };
    });
    const subtotal = input.totalCents ?? lines.reduce((s, li) => s + li.unitPriceCents * li.quantity, 0);
    const priced = input.discountCodes?.length ? priceDiscountCodes(this, cust, lines, subtotal, input.discountCodes, t) : undefined;
    const total = subtotal - (priced?.applied.reduce((s, a) => s + a.amountCents, 0) ?? 0);
    const di = input.discountCode ? DISCOUNT_CODES.indexOf(input.discountCode) : -1;
    o.push({
      customer: cust,
      processedAt: t,
      updatedAt: now,
      cancelledAt: Number.NaN,
      totalCents: total,
      currentCents: total,
      flags: (input.test ? FLAG_TEST : 0) | (input.financialStatus === "PENDING" ? FLAG_PENDING : 0),
      lineSeed: 0,
      nLines: lines.length,
      qty0: 1,
      discount: di,
    });
    o.explicitLines.set(i, lines);
    if (priced) {
      this.orderDiscountCodes.set(i, priced.applied);
      if (!input.test) commitRedemption(priced.recs, cust, total);
    }
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
    if (patch.cancelled) {
      o.flags[i]! |= FLAG_CANCELLED | FLAG_REFUNDED;
      o.cancelledAt[i] = now;
      o.currentCents[i] = 0;
    }
    if (patch.refundCents != null) {
      o.currentCents[i] = Math.max(0, o.currentCents[i]! - patch.refundCents);
      o.flags[i]! |= o.currentCents[i] === 0 ? FLAG_REFUNDED : FLAG_PARTIAL_REFUND;
    }
    if (patch.test != null) o.flags[i] = patch.test ? o.flags[i]! | FLAG_TEST : o.flags[i]! & ~FLAG_TEST;
    o.updatedAt[i] = now;
    const c = o.customer[i]!;
    if (c >= 0 && !(o.flags[i]! & FLAG_TEST)) {
      this.data.customers.spentCents[c]! += o.currentCents[i]! - before;
      this.data.customers.updatedAt[c] = now;
    }
  }

  createCustomer(extra: CustomerExtra & { tags?: string[]; emailState?: number }): number {
    const now = this.now();
    const cs = this.data.customers;
    const c = cs.push({
      createdAt: now,
      updatedAt: now,
      emailState: extra.emailState ?? 0,
      emailOptIn: 2,
      emailConsentAt: Number.NaN,
      smsState: 0,
      smsConsentAt: Number.NaN,
      hasEmail: !!extra.email,
      hasPhone: !!extra.phone,
      tags: extra.tags,
    });
    cs.extra.set(c, {
      firstName: extra.firstName ?? null,
      lastName: extra.lastName ?? null,
      email: extra.email ?? null,
      phone: extra.phone ?? null,
    });
    return c;
  }

  updateCustomer(c: number, patch: CustomerPatch) {
    const cs = this.data.customers;
    const now = this.now();
    const extra = { ...(cs.extra.get(c) ?? {}) };
    for (const k of ["email", "firstName", "lastName", "phone"] as const) if (patch[k] !== undefined) extra[k] = patch[k];
    cs.extra.set(c, extra);
    if (patch.tags) cs.tags[c] = [...new Set(patch.tags.map((t) => t.trim()).filter(Boolean))].sort();
    if (patch.emailMarketingState) {
      cs.emailState[c] = EMAIL_STATES.indexOf(patch.emailMarketingState);
      cs.emailConsentAt[c] = now;
    }
    if (patch.emailOptInLevel) cs.emailOptIn[c] = OPT_IN_LEVELS.indexOf(patch.emailOptInLevel);
    if (patch.smsMarketingState) {
      cs.smsState[c] = SMS_STATES.indexOf(patch.smsMarketingState);
      cs.smsConsentAt[c] = now;
    }
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
      discount_codes:
        this.orderDiscountCodes.get(i)?.map((d) => ({ code: d.code, amount: money(d.amountCents), type: d.type })) ??
        v.discountCodes.map((code) => ({ code, amount: "0.00", type: "percentage" })),
      total_discounts: money(this.orderDiscountCodes.get(i)?.reduce((s, d) => s + d.amountCents, 0) ?? 0),
      customer:
        c >= 0
          ? {
              id: this.customerLegacyId(c),
              admin_graphql_api_id: gid("Customer", this.customerLegacyId(c)),
              email: this.data.customers.email(c),
              phone: this.data.customers.phone(c),
            }
          : null,
      line_items: this.lineItems(i).map((li) => {
        const p = this.data.catalog[li.productIndex]!;
        const va = p.variants[li.variantIndex]!;
        return {
          id: li.legacyId,
          admin_graphql_api_id: gid("LineItem", li.legacyId),
          product_id: p.legacyId,
          variant_id: va.legacyId,
          title: p.title,
          variant_title: va.title,
          vendor: p.vendor,
          quantity: li.quantity,
          price: money(li.unitPriceCents),
          sku: va.sku,
        };
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
      email_marketing_consent: v.email
        ? { state: v._emailState.toLowerCase(), opt_in_level: v._emailOptIn.toLowerCase(), consent_updated_at: v._emailConsentAt }
        : null,
      sms_marketing_consent: v.phone
        ? {
            state: v._smsState.toLowerCase(),
            opt_in_level: "single_opt_in",
            consent_updated_at: v._smsConsentAt,
            consent_collected_from: "OTHER",
          }
        : null,
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

// Views are classes with prototype getters: cheap to create (bulk exports make millions), and
// derived fields are only computed when a query selects them.
export class OrderView {
  readonly __typename = "Order";
  constructor(
    private readonly s: ShopState,
    readonly _idx: number,
  ) {}
  private get o() {
    return this.s.data.orders;
  }
  get legacyId() {
    return this.s.orderLegacyId(this._idx);
  }
  get id() {
    return gid("Order", this.legacyId);
  }
  get legacyResourceId() {
    return String(this.legacyId);
  }
  get name() {
    return `#${1001 + this._idx}`;
  }
  get processedAt() {
    return iso(this.o.processedAt[this._idx]!);
  }
  get createdAt() {
    return iso(this.o.processedAt[this._idx]!);
  }
  get updatedAt() {
    return iso(this.o.updatedAt[this._idx]!);
  }
  get cancelledAt() {
    const c = this.o.cancelledAt[this._idx]!;
    return Number.isNaN(c) ? null : iso(c);
  }
  get cancelReason() {
    return Number.isNaN(this.o.cancelledAt[this._idx]!) ? null : "CUSTOMER";
  }
  get closed() {
    return !Number.isNaN(this.o.cancelledAt[this._idx]!);
  }
  get test() {
    return (this.o.flags[this._idx]! & FLAG_TEST) !== 0;
  }
  get displayFinancialStatus() {
    return this.s.financialStatus(this._idx);
  }
  get currencyCode() {
    return this.s.data.currencyCode;
  }
  get discountCodes() {
    const app = this.s.orderDiscountCodes.get(this._idx);
    if (app) return app.map((a) => a.code);
    const d = this.o.discount[this._idx]!;
    return d >= 0 ? [DISCOUNT_CODES[d]!] : [];
  }
  get email() {
    const c = this._customerIdx;
    return c >= 0 ? this.s.data.customers.email(c) : `guest.${this.legacyId}@example.net`;
  }
  get _customerIdx() {
    return this.o.customer[this._idx]!;
  }
  get _totalCents() {
    return this.o.totalCents[this._idx]!;
  }
  get _currentCents() {
    return this.o.currentCents[this._idx]!;
  }
}

export class CustomerView {
  readonly __typename = "Customer";
  readonly state = "ENABLED";
  constructor(
    private readonly s: ShopState,
    readonly _idx: number,
  ) {}
  private get cs() {
    return this.s.data.customers;
  }
  get legacyId() {
    return this.s.customerLegacyId(this._idx);
  }
  get id() {
    return gid("Customer", this.legacyId);
  }
  get legacyResourceId() {
    return String(this.legacyId);
  }
  get firstName() {
    return this.cs.firstName(this._idx);
  }
  get lastName() {
    return this.cs.lastName(this._idx);
  }
  get displayName() {
    const c = this._idx;
    return [this.cs.firstName(c), this.cs.lastName(c)].filter(Boolean).join(" ") || this.cs.email(c) || this.cs.phone(c) || "";
  }
  get email() {
    return this.cs.email(this._idx);
  }
  get phone() {
    return this.cs.phone(this._idx);
  }
  get tags() {
    return this.cs.tags[this._idx] ?? [];
  }
  get createdAt() {
    return iso(this.cs.createdAt[this._idx]!);
  }
  get updatedAt() {
    return iso(this.cs.updatedAt[this._idx]!);
  }
  get numberOfOrders() {
    return String(this.cs.ordersCount[this._idx]!);
  }
  get verifiedEmail() {
    return this.cs.email(this._idx) != null;
  }
  get _spentCents() {
    return this.cs.spentCents[this._idx]!;
  }
  get _emailState() {
    return EMAIL_STATES[this.cs.emailState[this._idx]!]!;
  }
  get _emailOptIn() {
    return OPT_IN_LEVELS[this.cs.emailOptIn[this._idx]!]!;
  }
  get _emailConsentAt() {
    const t = this.cs.emailConsentAt[this._idx]!;
    return Number.isNaN(t) ? null : iso(t);
  }
  get _smsState() {
    return SMS_STATES[this.cs.smsState[this._idx]!]!;
  }
  get _smsConsentAt() {
    const t = this.cs.smsConsentAt[this._idx]!;
    return Number.isNaN(t) ? null : iso(t);
  }
}
