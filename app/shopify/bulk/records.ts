import { z } from "zod";
import { parseJsonClean } from "../../lib/text";

/**
 * The JSONL lines of the sync's bulk queries (app/shopify/documents/orders.ts), validated and
 * flattened to the rows the sync stores. Every line is checked: a hand-written fast path accepts
 * well-formed lines without allocating, and anything it rejects goes through the zod schema,
 * whose message (with the line number) is what the merchant and the logs see.
 */
export interface OrderRecord {
  kind: "order";
  id: string; // numeric part of the GID, as digits (exact bigint)
  customerId: string | null;
  name: string | null;
  processedAt: string;
  createdAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  test: boolean;
  financialStatus: string | null;
  currentTotal: string;
  totalPrice: string;
  currency: string;
  discountCodes: string[];
}

export interface LineRecord {
  kind: "line";
  id: string;
  orderId: string;
  productId: string | null;
  variantId: string | null;
  productTitle: string | null;
  productType: string | null;
  vendor: string | null;
  quantity: number;
  unitPrice: string;
}

export interface CustomerRecord {
  kind: "customer";
  id: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  phone: string | null; // E.164 as Shopify stores it
  tags: string[];
  emailConsent: string | null;
  smsConsent: string | null;
  updatedAt: string | null;
}

export type BulkRecord = OrderRecord | LineRecord | CustomerRecord;
export type ParsedLine = { ok: true; record: BulkRecord } | { ok: false; error: string };

const DATE_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const MONEY_RE = /^-?\d+(\.\d+)?$/;

const gid = (type: string) => z.string().regex(new RegExp(`^gid://shopify/${type}/\\d+$`), `expected a ${type} GID`);
const date = z.string().regex(DATE_RE, "expected an ISO 8601 date-time");
const money = z.object({ amount: z.string().regex(MONEY_RE, "expected a decimal amount"), currencyCode: z.string().min(1).optional() });

export const OrderLineSchema = z.object({
  id: gid("Order"),
  name: z.string().nullish(),
  processedAt: date,
  createdAt: date,
  updatedAt: date,
  cancelledAt: date.nullish(),
  test: z.boolean(),
  displayFinancialStatus: z.string().nullish(),
  currentTotalPriceSet: z.object({ shopMoney: money.extend({ currencyCode: z.string().min(1) }) }),
  totalPriceSet: z.object({ shopMoney: money }),
  discountCodes: z.array(z.string()),
  customer: z.object({ id: gid("Customer") }).nullish(),
});

export const LineItemLineSchema = z.object({
  id: gid("LineItem"),
  __parentId: gid("Order"),
  quantity: z.number().int(),
  product: z
    .object({ id: gid("Product"), productType: z.string().nullish(), vendor: z.string().nullish(), title: z.string().nullish() })
    .nullish(),
  variant: z.object({ id: gid("ProductVariant") }).nullish(),
  originalUnitPriceSet: z.object({ shopMoney: money }),
});

export const CustomerLineSchema = z.object({
  id: gid("Customer"),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  tags: z.array(z.string()),
  updatedAt: date.nullish(),
  defaultEmailAddress: z.object({ emailAddress: z.string().nullish(), marketingState: z.string().nullish() }).nullish(),
  defaultPhoneNumber: z.object({ phoneNumber: z.string().nullish(), marketingState: z.string().nullish() }).nullish(),
});

/** Numeric id of a GID of the given type, or null. (By hand: this runs for every line of a file.) */
function gidId(v: unknown, type: string): string | null {
  if (typeof v !== "string" || !v.startsWith(GID_PREFIX) || !v.startsWith(type, GID_PREFIX.length)) return null;
  const start = GID_PREFIX.length + type.length + 1;
  if (v.charCodeAt(start - 1) !== 47 /* / */ || v.length === start) return null;
  for (let i = start; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return v.slice(start);
}
const GID_PREFIX = "gid://shopify/";
const gidType = (v: unknown) =>
  typeof v === "string" && v.startsWith(GID_PREFIX) ? v.slice(GID_PREFIX.length, v.indexOf("/", GID_PREFIX.length)) : undefined;

const str = (v: unknown): v is string => typeof v === "string";
const optStr = (v: unknown) => v === null || v === undefined || typeof v === "string";
const isDate = (v: unknown) => typeof v === "string" && DATE_RE.test(v);
const isMoney = (v: unknown) => typeof v === "string" && MONEY_RE.test(v);
// The fast path checks each field it reads at run time before using it; `any` spares a cast per access.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fields are checked one by one below
type JsonObject = Record<string, any>;
const obj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const strArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

function fastOrder(o: JsonObject): OrderRecord | null {
  const id = gidId(o.id, "Order");
  const cur = o.currentTotalPriceSet?.shopMoney;
  const tot = o.totalPriceSet?.shopMoney;
  if (!id || !optStr(o.name) || !isDate(o.processedAt) || !isDate(o.createdAt) || !isDate(o.updatedAt)) return null;
  if (!(o.cancelledAt == null || isDate(o.cancelledAt)) || typeof o.test !== "boolean" || !optStr(o.displayFinancialStatus)) return null;
  if (!obj(cur) || !isMoney(cur.amount) || !str(cur.currencyCode) || !cur.currencyCode || !obj(tot) || !isMoney(tot.amount)) return null;
  if (!strArray(o.discountCodes)) return null;
  let customerId: string | null = null;
  if (o.customer != null) {
    if (!obj(o.customer)) return null;
    customerId = gidId(o.customer.id, "Customer");
    if (!customerId) return null;
  }
  return {
    kind: "order",
    id,
    customerId,
    name: o.name ?? null,
    processedAt: o.processedAt,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    cancelledAt: o.cancelledAt ?? null,
    test: o.test,
    financialStatus: o.displayFinancialStatus ?? null,
    currentTotal: cur.amount,
    totalPrice: tot.amount,
    currency: cur.currencyCode,
    discountCodes: o.discountCodes,
  };
}

function fastLine(o: JsonObject): LineRecord | null {
  const id = gidId(o.id, "LineItem");
  const orderId = gidId(o.__parentId, "Order");
  const price = o.originalUnitPriceSet?.shopMoney;
  if (!id || !orderId || !Number.isInteger(o.quantity) || !obj(price) || !isMoney(price.amount)) return null;
  let productId: string | null = null;
  const p = o.product;
  if (p != null) {
    if (!obj(p) || !optStr(p.productType) || !optStr(p.vendor) || !optStr(p.title)) return null;
    productId = gidId(p.id, "Product");
    if (!productId) return null;
  }
  let variantId: string | null = null;
  if (o.variant != null) {
    variantId = obj(o.variant) ? gidId(o.variant.id, "ProductVariant") : null;
    if (!variantId) return null;
  }
  return {
    kind: "line",
    id,
    orderId,
    productId,
    variantId,
    productTitle: p?.title ?? null,
    productType: p?.productType ?? null,
    vendor: p?.vendor ?? null,
    quantity: o.quantity,
    unitPrice: price.amount,
  };
}

function fastCustomer(o: JsonObject): CustomerRecord | null {
  const id = gidId(o.id, "Customer");
  if (!id || !optStr(o.firstName) || !optStr(o.lastName) || !strArray(o.tags) || !(o.updatedAt == null || isDate(o.updatedAt))) return null;
  const e = o.defaultEmailAddress;
  const p = o.defaultPhoneNumber;
  if (e != null && (!obj(e) || !optStr(e.emailAddress) || !optStr(e.marketingState))) return null;
  if (p != null && (!obj(p) || !optStr(p.phoneNumber) || !optStr(p.marketingState))) return null;
  return {
    kind: "customer",
    id,
    email: e?.emailAddress ?? null,
    firstName: o.firstName ?? null,
    lastName: o.lastName ?? null,
    phone: p?.phoneNumber ?? null,
    tags: o.tags,
    emailConsent: e?.marketingState ?? null,
    smsConsent: p?.marketingState ?? null,
    updatedAt: o.updatedAt ?? null,
  };
}

function zodMessage(schema: z.ZodTypeAny, value: unknown, what: string): string {
  const r = schema.safeParse(value);
  if (r.success) return `${what}: unexpected shape`; // fast path stricter than zod: still refuse
  return (
    `${what}: ` +
    r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ")
  );
}

/** Parses one JSONL line of an orders or customers bulk result. Never throws. */
export function parseBulkLine(line: string): ParsedLine {
  let value: unknown;
  try {
    // NUL (`\u0000`) is dropped here, at the parse boundary (app/lib/text.ts): PostgreSQL text
    // cannot hold it, and one such name or title would otherwise fail the whole import.
    value = parseJsonClean(line);
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!obj(value)) return { ok: false, error: "not a JSON object" };
  const type = gidType(value.id);
  if (type === "Order") {
    const r = fastOrder(value);
    return r ? { ok: true, record: r } : { ok: false, error: zodMessage(OrderLineSchema, value, "order") };
  }
  if (type === "LineItem") {
    const r = fastLine(value);
    return r ? { ok: true, record: r } : { ok: false, error: zodMessage(LineItemLineSchema, value, "line item") };
  }
  if (type === "Customer") {
    const r = fastCustomer(value);
    return r ? { ok: true, record: r } : { ok: false, error: zodMessage(CustomerLineSchema, value, "customer") };
  }
  return { ok: false, error: `unknown object ${typeof value.id === "string" ? value.id.slice(0, 60) : "(no id)"}` };
}
