// Orders: orders / order / ordersCount, Order and LineItem fields, Customer.orders.
import { GraphQLError } from "graphql";
import { connection, type ConnectionArgs } from "../connection";
import { hasScope, notImplemented, type EmulatorModule, type RequestContext } from "../engine";
import { FLAG_CANCELLED, FLAG_TEST } from "../generator";
import { nodeResolvers } from "../nodes";
import { cmpNumber, matches, parseDateValue, parseSearch, type Term } from "../search";
import { gid, type ShopState } from "../state";
import { moneyBag } from "./core";

const DAY = 86_400_000;
export const ORDER_SEARCH_FIELDS = [
  "updated_at",
  "processed_at",
  "created_at",
  "customer_id",
  "test",
  "status",
  "financial_status",
  "id",
  "name",
  "email",
] as const;

/** Oldest processedAt visible without read_all_orders (Shopify: last 60 days). */
export function orderVisibleFrom(ctx: RequestContext): number {
  return hasScope(ctx.token.scopes, "read_all_orders") ? Number.NEGATIVE_INFINITY : ctx.now() - 60 * DAY;
}

export function orderMatcher(shop: ShopState, query: string | null | undefined, now: number) {
  const parsed = parseSearch(query, ORDER_SEARCH_FIELDS);
  const o = shop.data.orders;
  const date = (s: string) => parseDateValue(s, now);
  const test =
    (i: number) =>
    (t: Term): boolean => {
      switch (t.field) {
        case "updated_at":
          return cmpNumber(o.updatedAt[i]!, t, date);
        case "processed_at":
        case "created_at":
          return cmpNumber(o.processedAt[i]!, t, date);
        case "customer_id":
          return o.customer[i]! >= 0 && cmpNumber(shop.customerLegacyId(o.customer[i]!), t, Number);
        case "id":
          return cmpNumber(shop.orderLegacyId(i), t, Number);
        case "test":
          return ((o.flags[i]! & FLAG_TEST) !== 0) === (t.value === "true");
        case "status": {
          const cancelled = (o.flags[i]! & FLAG_CANCELLED) !== 0;
          return t.value === "cancelled"
            ? cancelled
            : t.value === "open"
              ? !cancelled
              : t.value === "closed"
                ? cancelled
                : t.value === "any";
        }
        case "financial_status":
          return shop.financialStatus(i).toLowerCase() === t.value.toLowerCase();
        case "name":
          return `#${1001 + i}` === (t.value.startsWith("#") ? t.value : "#" + t.value);
        case "email":
          return (shop.orderView(i).email ?? "").toLowerCase() === t.value.toLowerCase();
        default:
          return shop.orderView(i).name.includes(t.value) || (shop.orderView(i).email ?? "").includes(t.value);
      }
    };
  return { parsed, match: (i: number) => matches(parsed, test(i)) };
}

export function orderSortKey(shop: ShopState, sortKey: string): (i: number) => number {
  const o = shop.data.orders;
  switch (sortKey) {
    case "PROCESSED_AT":
    case "CREATED_AT":
      return (i) => o.processedAt[i]!;
    case "UPDATED_AT":
      return (i) => o.updatedAt[i]!;
    case "ID":
    case "ORDER_NUMBER":
      return (i) => shop.orderLegacyId(i);
    case "TOTAL_PRICE":
      return (i) => o.totalCents[i]!;
    case "CURRENT_TOTAL_PRICE":
      return (i) => o.currentCents[i]!;
    default:
      throw new GraphQLError(`Order sortKey ${sortKey} is not implemented by the Shopify emulator`, {
        extensions: { code: "NOT_IMPLEMENTED" },
      });
  }
}

/** Indices of matching orders sorted ascending by (key, id). */
export function selectOrders(
  ctx: RequestContext,
  query: string | null | undefined,
  sortKey: string,
  within?: ArrayLike<number>,
): { items: Int32Array; key: (i: number) => number; warnings: string[] } {
  const shop = ctx.shop;
  const o = shop.data.orders;
  const { parsed, match } = orderMatcher(shop, query, ctx.now());
  const from = orderVisibleFrom(ctx);
  const key = orderSortKey(shop, sortKey);
  const n = within ? within.length : o.length;
  const out = new Int32Array(n);
  let k = 0;
  const noFilter = parsed.clauses.length === 0;
  for (let p = 0; p < n; p++) {
    const i = within ? within[p]! : p;
    if (o.processedAt[i]! < from || o.deleted.has(i)) continue;
    if (noFilter || match(i)) out[k++] = i;
  }
  let items = out.subarray(0, k);
  let sorted = true;
  for (let p = 1; p < k && sorted; p++) if (key(items[p - 1]!) > key(items[p]!)) sorted = false;
  if (!sorted) items = Int32Array.from(Array.from(items).sort((a, b) => key(a) - key(b) || a - b));
  return { items, key, warnings: parsed.invalidFields };
}

function searchWarnings(ctx: RequestContext, warnings: string[]) {
  if (warnings.length) (ctx.services.searchWarnings as string[] | undefined)?.push(...warnings);
}

export const ordersModule: EmulatorModule = {
  name: "orders",
  register(r) {
    r.field(
      "QueryRoot",
      "orders",
      (_s, a: ConnectionArgs & { query?: string; sortKey: string; savedSearchId?: string }, ctx) => {
        if (a.savedSearchId) throw notImplemented("QueryRoot", "orders(savedSearchId)");
        const { items, key, warnings } = selectOrders(ctx, a.query, a.sortKey);
        searchWarnings(ctx, warnings);
        return connection(
          items,
          a,
          key,
          (i) => ctx.shop.orderLegacyId(i),
          (i) => ctx.shop.orderView(i),
        );
      },
      { scope: "read_orders" },
    );
    r.field("QueryRoot", "order", (_s, a: { id: string }, ctx) => findOrder(ctx, a.id), { scope: "read_orders" });
    r.field(
      "QueryRoot",
      "ordersCount",
      (_s, a: { query?: string; limit?: number | null }, ctx) => {
        const { items, warnings } = selectOrders(ctx, a.query, "ID");
        searchWarnings(ctx, warnings);
        const limit = a.limit ?? Number.POSITIVE_INFINITY;
        return { __typename: "Count", count: Math.min(items.length, limit), precision: items.length > limit ? "AT_LEAST" : "EXACT" };
      },
      { scope: "read_orders" },
    );
    nodeResolvers.set("Order", (ctx, _id, g) => (hasScope(ctx.token.scopes, "read_orders") ? findOrder(ctx, g) : null));

    r.type("Order", {
      customer: (o, _a, ctx) => (o._customerIdx >= 0 ? ctx.shop.customerView(o._customerIdx) : null),
      currentTotalPriceSet: (o, _a, ctx) => moneyBag(o._currentCents, ctx.shop.data.currencyCode),
      totalPriceSet: (o, _a, ctx) => moneyBag(o._totalCents, ctx.shop.data.currencyCode),
      subtotalPriceSet: (o, _a, ctx) => moneyBag(o._totalCents, ctx.shop.data.currencyCode),
      currentSubtotalPriceSet: (o, _a, ctx) => moneyBag(o._currentCents, ctx.shop.data.currencyCode),
      totalRefundedSet: (o, _a, ctx) =>
        moneyBag(o.displayFinancialStatus === "VOIDED" ? 0 : o._totalCents - o._currentCents, ctx.shop.data.currencyCode),
      lineItems: (o, a: ConnectionArgs, ctx) => {
        const lines = ctx.shop.lineItems(o._idx);
        const idx = Int32Array.from(lines.keys());
        return connection(
          idx,
          a,
          (k) => lines[k]!.legacyId,
          (k) => lines[k]!.legacyId,
          (k) => lineItemView(ctx.shop, lines[k]!),
          { unbounded: a.first == null && a.last == null && !!ctx.services.bulk },
        );
      },
    });
    r.field("Customer", "orders", (c, a: ConnectionArgs & { query?: string; sortKey: string }, ctx) => {
      if (!hasScope(ctx.token.scopes, "read_orders"))
        throw new GraphQLError("Access denied for orders field. Required access: `read_orders` access scope.", {
          extensions: { code: "ACCESS_DENIED" },
        });
      const { items, key } = selectOrders(ctx, a.query, a.sortKey, ctx.shop.ordersOfCustomer(c._idx));
      return connection(
        items,
        a,
        key,
        (i) => ctx.shop.orderLegacyId(i),
        (i) => ctx.shop.orderView(i),
        { unbounded: a.first == null && a.last == null && !!ctx.services.bulk },
      );
    });
  },
};

export function findOrder(ctx: RequestContext, id: string) {
  const i = ctx.shop.orderIndexFromId(id);
  if (i < 0 || ctx.shop.data.orders.processedAt[i]! < orderVisibleFrom(ctx)) return null;
  return ctx.shop.orderView(i);
}

const productViews = new WeakMap<object, Map<number, { product: object; variants: object[] }>>();
function productView(shop: ShopState, pi: number) {
  let m = productViews.get(shop.data);
  if (!m) {
    m = new Map();
    productViews.set(shop.data, m);
  }
  let pv = m.get(pi);
  if (!pv) {
    const p = shop.data.catalog[pi]!;
    pv = {
      product: {
        __typename: "Product",
        id: gid("Product", p.legacyId),
        legacyResourceId: String(p.legacyId),
        title: p.title,
        productType: p.productType,
        vendor: p.vendor,
        handle: p.title.toLowerCase().replace(/[^a-z0-9]+/g, "-"),
      },
      variants: p.variants.map((v) => ({
        __typename: "ProductVariant",
        id: gid("ProductVariant", v.legacyId),
        legacyResourceId: String(v.legacyId),
        title: v.title,
        sku: v.sku,
        price: (v.priceCents / 100).toFixed(2),
      })),
    };
    m.set(pi, pv);
  }
  return pv;
}

export function lineItemView(
  shop: ShopState,
  li: { legacyId: number; productIndex: number; variantIndex: number; quantity: number; unitPriceCents: number },
) {
  const p = shop.data.catalog[li.productIndex]!;
  const v = p.variants[li.variantIndex]!;
  const cur = shop.data.currencyCode;
  const pv = productView(shop, li.productIndex);
  return {
    __typename: "LineItem",
    id: gid("LineItem", li.legacyId),
    quantity: li.quantity,
    currentQuantity: li.quantity,
    title: p.title,
    name: v.title === "Default Title" ? p.title : `${p.title} - ${v.title}`,
    sku: v.sku,
    vendor: p.vendor,
    variantTitle: v.title === "Default Title" ? null : v.title,
    get originalUnitPriceSet() {
      return moneyBag(li.unitPriceCents, cur);
    },
    get discountedUnitPriceSet() {
      return moneyBag(li.unitPriceCents, cur);
    },
    get originalTotalSet() {
      return moneyBag(li.unitPriceCents * li.quantity, cur);
    },
    product: pv.product,
    variant: pv.variants[li.variantIndex],
  };
}
