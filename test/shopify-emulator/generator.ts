// Deterministic demo-shop generator.
//
// Customers follow a BG/NBD-style process: each has its own purchase rate (gamma distributed across
// customers) and drops out after any purchase with its own probability (beta distributed), so the
// shop has one-off buyers, loyal regulars and lapsed customers. Order values follow the gamma-gamma
// spend model (a long high-value tail). Arrivals are thinned by a seasonal curve that peaks in
// November/December. Orders are stored column-wise in typed arrays; line items are derived lazily
// from a per-order seed so a 1,000,000-order shop needs ~60 MB.
import { Rng, mulberry32 } from "./prng";

export interface SeedOptions {
  seed?: number;
  /** Number of customers (default 500). Ignored when `orders` is given. */
  customers?: number;
  /** Target number of orders; customers are generated until it is reached. */
  orders?: number;
  /** Years of history ending at `now` (default 3). */
  years?: number;
  now?: Date;
  name?: string;
  currencyCode?: string;
  ianaTimezone?: string;
  email?: string;
  plan?: { publicDisplayName: string; partnerDevelopment: boolean; shopifyPlus: boolean };
  /** `Shop.shopAddress` ("as it will appear to buyers"); null: the shop has none (fields null). */
  address?: ShopAddressSeed | null;
}

/** The fields of Shopify's `ShopAddress` the app reads (Admin API 2026-10 schema). */
export interface ShopAddressSeed {
  company: string | null;
  address1: string | null;
  address2: string | null;
  city: string | null;
  province: string | null;
  zip: string | null;
  country: string | null;
}

export interface Variant {
  legacyId: number;
  title: string;
  priceCents: number;
  sku: string;
}
export interface Product {
  index: number;
  legacyId: number;
  title: string;
  productType: string;
  vendor: string;
  variants: Variant[];
}

export interface LineItemRec {
  legacyId: number;
  productIndex: number;
  variantIndex: number;
  quantity: number;
  unitPriceCents: number;
}

export const ORDER_ID_BASE = 5_100_000_000_000;
export const CUSTOMER_ID_BASE = 7_200_000_000_000;
export const LINE_ITEM_ID_BASE = 13_000_000_000_000;
export const PRODUCT_ID_BASE = 8_300_000_000;
export const VARIANT_ID_BASE = 44_000_000_000;

export const FLAG_TEST = 1;
export const FLAG_CANCELLED = 2;
export const FLAG_REFUNDED = 4;
export const FLAG_PARTIAL_REFUND = 8;
export const FLAG_PENDING = 16;

export const EMAIL_STATES = ["NOT_SUBSCRIBED", "SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "INVALID", "REDACTED"] as const;
export const SMS_STATES = ["NOT_SUBSCRIBED", "SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "REDACTED"] as const;
export const OPT_IN_LEVELS = ["SINGLE_OPT_IN", "CONFIRMED_OPT_IN", "UNKNOWN"] as const;
export const DISCOUNT_CODES = ["WELCOME10", "SPRING15", "SUMMER20", "BFCM25", "FREESHIP", "VIP30", "COMEBACK15"];
export const CUSTOMER_TAGS = ["newsletter", "returning", "instagram", "local", "wholesale", "gift-buyer"];

const FIRST = [
  "Olivia",
  "Liam",
  "Emma",
  "Noah",
  "Ava",
  "Oliver",
  "Sophia",
  "Elijah",
  "Isabella",
  "James",
  "Mia",
  "William",
  "Amelia",
  "Benjamin",
  "Harper",
  "Lucas",
  "Evelyn",
  "Henry",
  "Abigail",
  "Theo",
  "Emily",
  "Jack",
  "Ella",
  "Levi",
  "Chloe",
  "Mateo",
  "Grace",
  "Leo",
  "Nora",
  "Ezra",
  "Zoe",
  "Hudson",
  "Lily",
  "Kai",
  "Maya",
  "Arjun",
  "Yuki",
  "Fatima",
  "Lars",
  "Ines",
];
const LAST = [
  "Smith",
  "Johnson",
  "Williams",
  "Brown",
  "Jones",
  "Garcia",
  "Miller",
  "Davis",
  "Rodriguez",
  "Martinez",
  "Hernandez",
  "Lopez",
  "Wilson",
  "Anderson",
  "Thomas",
  "Taylor",
  "Moore",
  "Jackson",
  "Martin",
  "Lee",
  "Thompson",
  "White",
  "Harris",
  "Clark",
  "Lewis",
  "Walker",
  "Young",
  "Allen",
  "King",
  "Wright",
  "Nguyen",
  "Kim",
  "Patel",
  "Schmidt",
  "Rossi",
  "Dubois",
  "Silva",
  "Tanaka",
  "Novak",
  "Berg",
];

const CATALOG: Array<[string, string, string[], number]> = [
  // productType, vendor, titles, base price (dollars)
  [
    "Coffee",
    "Northbound Roasters",
    ["House Blend 1kg", "Ethiopia Yirgacheffe", "Colombia Huila", "Decaf Swiss Water", "Espresso Forte", "Cold Brew Pack"],
    18,
  ],
  ["Tea", "Leaf & Kettle", ["Sencha Green", "Earl Grey Supreme", "Chamomile Calm", "Masala Chai", "Oolong Reserve"], 14],
  [
    "Brewing Gear",
    "Pour Lab",
    ["Pour-over Dripper", "Gooseneck Kettle", "Burr Grinder", "French Press 1L", "Digital Scale", "Paper Filters x100"],
    45,
  ],
  ["Mugs", "Clay Street Studio", ["Stoneware Mug", "Travel Tumbler", "Espresso Cups (set of 2)", "Latte Bowl"], 24],
  ["Snacks", "Good Crumb Bakery", ["Almond Biscotti", "Dark Chocolate Bar", "Oat Cookies", "Maple Granola"], 8],
  ["Subscriptions", "Northbound Roasters", ["Monthly Coffee Box", "Quarterly Tasting Kit"], 39],
  ["Gift Cards", "Winback Demo", ["Gift Card"], 50],
  ["Apparel", "Clay Street Studio", ["Barista Apron", "Logo Tee", "Knit Beanie"], 29],
];

export function buildCatalog(): Product[] {
  const rng = new Rng(9001);
  const products: Product[] = [];
  for (const [productType, vendor, titles, base] of CATALOG) {
    for (const title of titles) {
      const index = products.length;
      const nVariants = productType === "Coffee" ? 3 : productType === "Apparel" ? 3 : 1;
      const variantTitles =
        productType === "Coffee" ? ["250g", "500g", "1kg"] : productType === "Apparel" ? ["S", "M", "L"] : ["Default Title"];
      const price = Math.round(base * (0.7 + rng.float() * 0.8) * 100) / 100;
      const variants: Variant[] = [];
      for (let v = 0; v < nVariants; v++) {
        const mult = productType === "Coffee" ? [1, 1.8, 3.2][v]! : 1;
        variants.push({
          legacyId: VARIANT_ID_BASE + index * 10 + v + 1,
          title: variantTitles[v]!,
          priceCents: Math.round(price * mult * 100 - 1) + 0,
          sku: `${vendor.slice(0, 3).toUpperCase()}-${index}-${v}`,
        });
      }
      products.push({ index, legacyId: PRODUCT_ID_BASE + index + 1, title, productType, vendor, variants });
    }
  }
  return products;
}

// Month weights: Nov/Dec peak, quiet Jan/Feb.
const SEASON = [0.8, 0.75, 0.9, 0.95, 1.0, 0.95, 0.9, 0.95, 1.0, 1.1, 2.0, 2.2];
const SEASON_MAX = 2.2;
export function seasonWeight(ms: number): number {
  return SEASON[new Date(ms).getUTCMonth()]!;
}

/** Column store for orders. Index order = processedAt ascending (creation order). */
export class OrderStore {
  length = 0;
  customer: Int32Array;
  processedAt: Float64Array;
  updatedAt: Float64Array;
  cancelledAt: Float64Array;
  totalCents: Float64Array;
  currentCents: Float64Array;
  flags: Uint8Array;
  lineSeed: Uint32Array;
  nLines: Uint8Array;
  qty0: Uint8Array;
  discount: Int8Array;
  /** Explicit line items for orders created through the emulator API. */
  explicitLines = new Map<number, LineItemRec[]>();
  deleted = new Set<number>();

  constructor(capacity = 1024) {
    this.customer = new Int32Array(capacity);
    this.processedAt = new Float64Array(capacity);
    this.updatedAt = new Float64Array(capacity);
    this.cancelledAt = new Float64Array(capacity);
    this.totalCents = new Float64Array(capacity);
    this.currentCents = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.lineSeed = new Uint32Array(capacity);
    this.nLines = new Uint8Array(capacity);
    this.qty0 = new Uint8Array(capacity);
    this.discount = new Int8Array(capacity);
  }

  private grow(min: number) {
    const cap = Math.max(min, Math.ceil(this.customer.length * 1.5) + 16);
    const g = <T extends { length: number; set(a: ArrayLike<number>): void }>(a: T, C: new (n: number) => T): T => {
      const n = new C(cap);
      n.set(a);
      return n;
    };
    this.customer = g(this.customer, Int32Array);
    this.processedAt = g(this.processedAt, Float64Array);
    this.updatedAt = g(this.updatedAt, Float64Array);
    this.cancelledAt = g(this.cancelledAt, Float64Array);
    this.totalCents = g(this.totalCents, Float64Array);
    this.currentCents = g(this.currentCents, Float64Array);
    this.flags = g(this.flags, Uint8Array);
    this.lineSeed = g(this.lineSeed, Uint32Array);
    this.nLines = g(this.nLines, Uint8Array);
    this.qty0 = g(this.qty0, Uint8Array);
    this.discount = g(this.discount, Int8Array);
  }

  push(o: {
    customer: number;
    processedAt: number;
    updatedAt: number;
    cancelledAt: number;
    totalCents: number;
    currentCents: number;
    flags: number;
    lineSeed: number;
    nLines: number;
    qty0: number;
    discount: number;
  }): number {
    if (this.length >= this.customer.length) this.grow(this.length + 1);
    const i = this.length++;
    this.customer[i] = o.customer;
    this.processedAt[i] = o.processedAt;
    this.updatedAt[i] = o.updatedAt;
    this.cancelledAt[i] = o.cancelledAt;
    this.totalCents[i] = o.totalCents;
    this.currentCents[i] = o.currentCents;
    this.flags[i] = o.flags;
    this.lineSeed[i] = o.lineSeed;
    this.nLines[i] = o.nLines;
    this.qty0[i] = o.qty0;
    this.discount[i] = o.discount;
    return i;
  }

  /** Reorders all columns by the given permutation (perm[newIndex] = oldIndex). */
  permute(perm: Int32Array | number[]) {
    const n = this.length;
    const p = <T extends { [i: number]: number; length: number }>(a: T, C: new (n: number) => T): T => {
      const out = new C(a.length);
      for (let i = 0; i < n; i++) out[i] = a[perm[i]!]!;
      return out;
    };
    this.customer = p(this.customer, Int32Array);
    this.processedAt = p(this.processedAt, Float64Array);
    this.updatedAt = p(this.updatedAt, Float64Array);
    this.cancelledAt = p(this.cancelledAt, Float64Array);
    this.totalCents = p(this.totalCents, Float64Array);
    this.currentCents = p(this.currentCents, Float64Array);
    this.flags = p(this.flags, Uint8Array);
    this.lineSeed = p(this.lineSeed, Uint32Array);
    this.nLines = p(this.nLines, Uint8Array);
    this.qty0 = p(this.qty0, Uint8Array);
    this.discount = p(this.discount, Int8Array);
  }

  bytes(): number {
    return this.customer.byteLength + this.processedAt.byteLength * 5 + this.flags.byteLength * 4 + this.lineSeed.byteLength;
  }
}

export interface CustomerExtra {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  phone?: string | null;
}

export class CustomerStore {
  length = 0;
  createdAt: number[] = [];
  updatedAt: number[] = [];
  emailState: number[] = [];
  emailOptIn: number[] = [];
  emailConsentAt: number[] = [];
  smsState: number[] = [];
  smsConsentAt: number[] = [];
  hasEmail: number[] = [];
  hasPhone: number[] = [];
  ordersCount: number[] = [];
  spentCents: number[] = [];
  tags: (string[] | undefined)[] = [];
  extra = new Map<number, CustomerExtra>();
  deleted = new Set<number>();

  push(c: {
    createdAt: number;
    updatedAt: number;
    emailState: number;
    emailOptIn: number;
    emailConsentAt: number;
    smsState: number;
    smsConsentAt: number;
    hasEmail: boolean;
    hasPhone: boolean;
    tags?: string[];
  }): number {
    const i = this.length++;
    this.createdAt.push(c.createdAt);
    this.updatedAt.push(c.updatedAt);
    this.emailState.push(c.emailState);
    this.emailOptIn.push(c.emailOptIn);
    this.emailConsentAt.push(c.emailConsentAt);
    this.smsState.push(c.smsState);
    this.smsConsentAt.push(c.smsConsentAt);
    this.hasEmail.push(c.hasEmail ? 1 : 0);
    this.hasPhone.push(c.hasPhone ? 1 : 0);
    this.ordersCount.push(0);
    this.spentCents.push(0);
    this.tags.push(c.tags);
    return i;
  }

  firstName(i: number): string | null {
    const x = this.extra.get(i);
    if (x && x.firstName !== undefined) return x.firstName;
    return FIRST[(i * 7 + 3) % FIRST.length]!;
  }
  lastName(i: number): string | null {
    const x = this.extra.get(i);
    if (x && x.lastName !== undefined) return x.lastName;
    return LAST[Math.floor(i / FIRST.length + i * 13) % LAST.length]!;
  }
  email(i: number): string | null {
    const x = this.extra.get(i);
    if (x && x.email !== undefined) return x.email;
    if (!this.hasEmail[i]) return null;
    return `${this.firstName(i)}.${this.lastName(i)}.${i + 1}@example.com`.toLowerCase();
  }
  phone(i: number): string | null {
    const x = this.extra.get(i);
    if (x && x.phone !== undefined) return x.phone;
    if (!this.hasPhone[i]) return null;
    return `+1555${String(1000000 + ((i * 7919) % 9000000)).slice(-7)}`;
  }
}

/** Picks line items for an order from its seed. Deterministic; also used for generated totals. */
export function deriveLineItems(
  orderIndex: number,
  seed: number,
  nLines: number,
  qty0: number,
  catalog: Product[],
  cumWeights: Float64Array,
): LineItemRec[] {
  const r = mulberry32(seed);
  const out: LineItemRec[] = [];
  const used = new Set<number>();
  for (let l = 0; l < nLines; l++) {
    let p = 0;
    for (let tries = 0; tries < 8; tries++) {
      p = pickWeighted(cumWeights, r());
      if (!used.has(p)) break;
    }
    used.add(p);
    const product = catalog[p]!;
    const v = Math.floor(r() * product.variants.length);
    out.push({
      legacyId: LINE_ITEM_ID_BASE + orderIndex * 64 + l + 1,
      productIndex: p,
      variantIndex: v,
      quantity: l === 0 ? Math.max(1, qty0) : 1,
      unitPriceCents: product.variants[v]!.priceCents,
    });
  }
  return out;
}

function pickWeighted(cum: Float64Array, u: number): number {
  const target = u * cum[cum.length - 1]!;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export interface ShopSeed {
  name: string;
  currencyCode: string;
  ianaTimezone: string;
  email: string;
  plan: { publicDisplayName: string; partnerDevelopment: boolean; shopifyPlus: boolean };
  address: ShopAddressSeed | null;
  createdAt: number;
  catalog: Product[];
  cumWeights: Float64Array;
  orders: OrderStore;
  customers: CustomerStore;
}

export function catalogWeights(catalog: Product[]): Float64Array {
  // Zipf-like popularity: a few best sellers, a long tail.
  const cum = new Float64Array(catalog.length);
  let s = 0;
  for (let i = 0; i < catalog.length; i++) {
    s += 1 / Math.pow(((i * 17) % catalog.length) + 1, 0.9);
    cum[i] = s;
  }
  return cum;
}

const DAY = 86_400_000;
const YEAR = 365.25 * DAY;

export function generateShop(domain: string, opts: SeedOptions = {}): ShopSeed {
  const seed = opts.seed ?? 1;
  const rng = new Rng(seed);
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000;
  const years = opts.years ?? 3;
  const start = now - years * YEAR;
  const catalog = buildCatalog();
  const cum = catalogWeights(catalog);
  const customers = new CustomerStore();
  const targetOrders = opts.orders;
  const nCustomers = targetOrders ? Number.POSITIVE_INFINITY : (opts.customers ?? 500);
  const handle = domain.replace(/\.myshopify\.com$/, "");
  const tmp = new OrderStore(targetOrders ? Math.ceil(targetOrders * 1.02) + 16 : 1024);

  // Population parameters.
  const rShape = 0.9; // purchase-rate heterogeneity (gamma shape)
  const rateScale = 1.9 / rShape; // mean 1.9 orders/year while active
  const dropA = 1.2;
  const dropB = 3.0; // mean dropout 0.29 per purchase
  const pSpend = 5; // gamma-gamma: per-order shape
  const qSpend = 3.4;
  const gammaSpend = 40; // mean order value ~ p*g/(q-1) = $83

  const addOrder = (cust: number, t: number, valueCents: number) => {
    const lineSeed = rng.int(0x7fffffff) + 1;
    const u = rng.float();
    const nLines = u < 0.55 ? 1 : u < 0.8 ? 2 : u < 0.93 ? 3 : 4;
    const base = deriveLineItems(0, lineSeed, nLines, 1, catalog, cum);
    let baseSum = 0;
    for (const li of base) baseSum += li.unitPriceCents;
    const first = base[0]!.unitPriceCents;
    const qty0 = Math.max(1, Math.min(60, 1 + Math.round((valueCents - baseSum) / first)));
    const total = baseSum + (qty0 - 1) * first;
    let flags = 0;
    let current = total;
    let cancelledAt = Number.NaN;
    let updatedAt = t + Math.floor((rng.float() * 3 * DAY) / 1000) * 1000;
    const f = rng.float();
    if (f < 0.02) {
      flags |= FLAG_CANCELLED | FLAG_REFUNDED;
      cancelledAt = t + Math.floor(rng.float() * 20 * 3600) * 1000;
      current = 0;
      updatedAt = cancelledAt;
    } else if (f < 0.07) {
      const refundAt = t + Math.floor(((1 + rng.float() * 30) * DAY) / 1000) * 1000;
      if (rng.bool(0.4)) {
        flags |= FLAG_REFUNDED;
        current = 0;
      } else {
        flags |= FLAG_PARTIAL_REFUND;
        current = Math.round(total * (0.4 + rng.float() * 0.5));
      }
      updatedAt = refundAt;
    }
    if (rng.bool(0.005)) flags |= FLAG_TEST;
    if (updatedAt > now) updatedAt = now;
    if (cancelledAt > now) cancelledAt = now;
    if (now - t < 2 * DAY && rng.bool(0.2)) flags |= FLAG_PENDING;
    const discount = rng.bool(0.12) ? rng.int(DISCOUNT_CODES.length) : -1;
    tmp.push({
      customer: cust,
      processedAt: t,
      updatedAt,
      cancelledAt,
      totalCents: total,
      currentCents: current,
      flags,
      lineSeed,
      nLines,
      qty0,
      discount,
    });
  };

  const seasonalNext = (t: number, ratePerYear: number): number => {
    // Thinning: candidate arrivals at the peak rate, accepted with the seasonal weight.
    for (;;) {
      t += rng.exp(ratePerYear * SEASON_MAX) * YEAR;
      if (t > now) return t;
      if (rng.float() * SEASON_MAX < seasonWeight(t)) return t;
    }
  };

  let customerOrders = 0;
  const wantCustomerOrders = targetOrders ? Math.round(targetOrders * 0.92) : Number.POSITIVE_INFINITY;
  for (let c = 0; c < nCustomers && customerOrders < wantCustomerOrders; c++) {
    // Acquisition grows over time (sqrt => linearly increasing density), seasonally thinned.
    let acq: number;
    do {
      acq = start + (now - start) * Math.sqrt(rng.float());
    } while (rng.float() * SEASON_MAX > seasonWeight(acq));
    acq = Math.floor(acq / 1000) * 1000;
    const subscriberOnly = rng.bool(0.1);
    const hasEmail = !rng.bool(0.03);
    const hasPhone = rng.bool(0.45);
    const eu = rng.float();
    const emailState = !hasEmail ? 0 : eu < 0.6 ? 1 : eu < 0.9 ? 0 : eu < 0.97 ? 2 : 3;
    const smsState = !hasPhone ? 0 : rng.bool(0.5) ? 1 : rng.bool(0.8) ? 0 : 2;
    const consentAt = acq + Math.floor((rng.float() * Math.min(now - acq, 400 * DAY)) / 1000) * 1000;
    const tags: string[] = [];
    if (rng.bool(0.2)) tags.push(rng.pick(CUSTOMER_TAGS));
    if (rng.bool(0.05)) tags.push(rng.pick(CUSTOMER_TAGS));
    const idx = customers.push({
      createdAt: acq,
      updatedAt: Math.max(acq, emailState === 1 || smsState === 1 ? consentAt : acq),
      emailState,
      emailOptIn: emailState === 1 ? (rng.bool(0.7) ? 0 : 1) : 2,
      emailConsentAt: emailState === 0 ? Number.NaN : consentAt,
      smsState,
      smsConsentAt: smsState === 0 ? Number.NaN : consentAt,
      hasEmail,
      hasPhone,
      tags: tags.length ? [...new Set(tags)].sort() : undefined,
    });
    if (subscriberOnly) continue;
    const lambda = rng.gamma(rShape, rateScale);
    const dropout = rng.beta(dropA, dropB);
    const nu = rng.gamma(qSpend, 1 / gammaSpend);
    let t = acq;
    for (;;) {
      const value = Math.max(300, Math.round(rng.gamma(pSpend, 1 / nu) * 100));
      addOrder(idx, t, value);
      customerOrders++;
      if (customerOrders >= wantCustomerOrders) break;
      if (rng.float() < dropout) break;
      t = Math.floor(seasonalNext(t, lambda) / 1000) * 1000;
      if (t > now) break;
    }
  }

  // Guest checkouts (~8% of orders).
  const guests = targetOrders ? targetOrders - tmp.length : Math.round((tmp.length * 0.08) / 0.92);
  for (let g = 0; g < guests; g++) {
    let t: number;
    do {
      t = start + (now - start) * Math.sqrt(rng.float());
    } while (rng.float() * SEASON_MAX > seasonWeight(t));
    addOrder(-1, Math.floor(t / 1000) * 1000, Math.max(300, Math.round(rng.gamma(pSpend, 16) * 100)));
  }

  // Sort by processedAt (stable by generation index).
  const n = tmp.length;
  let perm: Int32Array;
  if (n < 2_000_000) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (tmp.processedAt[i]! / 1000) * 2_097_152 + i;
    keys.sort();
    perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[i] = keys[i]! % 2_097_152;
  } else {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => tmp.processedAt[a]! - tmp.processedAt[b]! || a - b);
    perm = Int32Array.from(idx);
  }
  tmp.permute(perm);

  // Customer aggregates.
  for (let i = 0; i < n; i++) {
    const c = tmp.customer[i]!;
    if (c < 0) continue;
    customers.ordersCount[c]!++;
    if (!(tmp.flags[i]! & FLAG_TEST)) customers.spentCents[c] += tmp.currentCents[i]!;
    if (tmp.updatedAt[i]! > customers.updatedAt[c]!) customers.updatedAt[c] = tmp.updatedAt[i]!;
  }
  for (let c = 0; c < customers.length; c++) {
    if (customers.spentCents[c]! > 100_000) {
      const t = customers.tags[c] ?? [];
      if (!t.includes("VIP")) customers.tags[c] = [...t, "VIP"].sort();
    }
  }

  const words = handle.split(/[-_]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return {
    name: opts.name ?? words.join(" "),
    currencyCode: opts.currencyCode ?? "USD",
    ianaTimezone: opts.ianaTimezone ?? "America/New_York",
    email: opts.email ?? `owner@${handle}.example.com`,
    plan: opts.plan ?? { publicDisplayName: "Basic", partnerDevelopment: false, shopifyPlus: false },
    address:
      opts.address === undefined
        ? {
            company: null,
            address1: "151 O'Connor Street",
            address2: null,
            city: "Ottawa",
            province: "Ontario",
            zip: "K2P 2L8",
            country: "Canada",
          }
        : opts.address,
    createdAt: start - 30 * DAY,
    catalog,
    cumWeights: cum,
    orders: tmp,
    customers,
  };
}
