// Code discounts: discountCodeBasicCreate and discountCodeFreeShippingCreate (2026-10 input with
// `context`; the free-shipping input follows the recording discount-free-shipping-lifecycle.json of
// airhorns/shopify-draft-proxy), codeDiscountNode(ByCode),
// codeDiscountNodes / discountNodes, deactivate / activate / delete, and redemption when an order
// carries a code (ShopState.createOrder calls redeemDiscountCodes). Validation texts follow
// Shopify's; sources in ADR 021.
import { GraphQLError } from "graphql";
import { connection, type ConnectionArgs } from "../connection";
import type { EmulatorModule, RequestContext } from "../engine";
import { nodeResolvers } from "../nodes";
import { matchesSegment } from "../segment-query";
import { gid, iso, parseGid, type ShopState } from "../state";
import { moneyBag } from "./core";
import { findSegment } from "./marketing";

export interface DiscountRec {
  legacyId: number;
  /** DiscountCodeNode gid. */
  id: string;
  codeLegacyId: number;
  title: string;
  code: string;
  startsAt: string;
  endsAt: string | null;
  createdAt: string;
  updatedAt: string;
  value:
    | { kind: "percentage"; percentage: number }
    | { kind: "amount"; amountCents: number; appliesOnEachItem: boolean }
    /** DiscountCodeFreeShipping: every destination (the only destination the app sends), no maximum shipping price. */
    | { kind: "free_shipping" };
  minSubtotalCents: number | null;
  minQuantity: number | null;
  appliesOncePerCustomer: boolean;
  usageLimit: number | null;
  combinesWith: { orderDiscounts: boolean; productDiscounts: boolean; shippingDiscounts: boolean };
  context: { kind: "all" } | { kind: "segments"; ids: string[] } | { kind: "customers"; ids: string[] };
  /** customerGets.items: every line, or only lines of these catalog products (DiscountProductsInput.productsToAdd). */
  items: { kind: "all" } | { kind: "products"; productIndices: number[] };
  tags: string[];
  usageCount: number;
  /** Customer indices that redeemed the code (appliesOncePerCustomer). */
  redeemedBy: number[];
  totalSalesCents: number;
}

let nextDiscountId = 1_480_000_000_000;
let nextRedeemCodeId = 19_800_000_000_000;

export function discountsOf(shop: ShopState): DiscountRec[] {
  return shop.store("discounts", () => [] as DiscountRec[]);
}

export function findDiscountByCode(shop: ShopState, code: string): DiscountRec | undefined {
  const c = code.trim().toLowerCase();
  return discountsOf(shop).find((d) => d.code.toLowerCase() === c);
}

export function discountStatus(d: DiscountRec, at: number): "ACTIVE" | "EXPIRED" | "SCHEDULED" {
  if (at < Date.parse(d.startsAt)) return "SCHEDULED";
  if (d.endsAt != null && at >= Date.parse(d.endsAt)) return "EXPIRED";
  return "ACTIVE";
}

// ---------------- validation & create ----------------

type DiscountUserError = { __typename: "DiscountUserError"; field: string[] | null; message: string; code: string | null; extraInfo: null };
const uerr = (field: string[] | null, message: string, code: string | null): DiscountUserError => ({
  __typename: "DiscountUserError",
  field,
  message,
  code,
  extraInfo: null,
});

interface BasicInput {
  title?: string | null;
  code?: string | null;
  startsAt?: string | null;
  endsAt?: string | null;
  customerGets?: {
    value?: {
      percentage?: number | null;
      discountAmount?: { amount?: string | number | null; appliesOnEachItem?: boolean | null } | null;
      discountOnQuantity?: unknown;
    } | null;
    items?: {
      all?: boolean | null;
      products?: { productsToAdd?: string[] | null; productVariantsToAdd?: string[] | null } | null;
      collections?: unknown;
    } | null;
    appliesOnOneTimePurchase?: boolean | null;
    appliesOnSubscription?: boolean | null;
  } | null;
  minimumRequirement?: {
    subtotal?: { greaterThanOrEqualToSubtotal?: string | number | null } | null;
    quantity?: { greaterThanOrEqualToQuantity?: string | number | null } | null;
  } | null;
  appliesOncePerCustomer?: boolean | null;
  usageLimit?: number | null;
  recurringCycleLimit?: number | null;
  /** DiscountCodeFreeShippingInput only. */
  destination?: { all?: boolean | null; countries?: unknown } | null;
  maximumShippingPrice?: string | number | null;
  combinesWith?: {
    orderDiscounts?: boolean | null;
    productDiscounts?: boolean | null;
    shippingDiscounts?: boolean | null;
    productDiscountsWithTagsOnSameCartLine?: unknown;
  } | null;
  context?: {
    all?: string | null;
    customerSegments?: { add?: string[] | null; remove?: string[] | null } | null;
    customers?: { add?: string[] | null; remove?: string[] | null } | null;
    markets?: unknown;
  } | null;
  customerSelection?: {
    all?: boolean | null;
    customerSegments?: { add?: string[] | null } | null;
    customers?: { add?: string[] | null } | null;
  } | null;
  tags?: string[] | null;
}

const notImpl = (what: string) =>
  new GraphQLError(`${what} is not implemented by the Shopify emulator`, { extensions: { code: "NOT_IMPLEMENTED" } });

function validateBasic(
  ctx: RequestContext,
  input: BasicInput,
  self?: DiscountRec,
  /** The input argument's name, the first element of every userError field path. */
  F = "basicCodeDiscount",
): {
  errors: DiscountUserError[];
  rec?: Omit<DiscountRec, "legacyId" | "id" | "codeLegacyId" | "createdAt" | "updatedAt" | "usageCount" | "redeemedBy" | "totalSalesCents">;
} {
  const errors: DiscountUserError[] = [];
  const base = self;
  const title = input.title ?? base?.title;
  if (!title || !title.trim()) errors.push(uerr([F, "title"], "Title can't be blank", "BLANK"));
  else if (title.length > 255) errors.push(uerr([F, "title"], "Title is too long (maximum is 255 characters)", "TOO_LONG"));
  const code = (input.code ?? base?.code ?? "").trim();
  if (!code) errors.push(uerr([F, "code"], "Code can't be blank", "BLANK"));
  else if (code.length > 255) errors.push(uerr([F, "code"], "Code is too long (maximum is 255 characters)", "TOO_LONG"));
  else if (/[\r\n]/.test(code)) errors.push(uerr([F, "code"], "Code cannot contain newline characters.", "INVALID"));
  else {
    const taken = findDiscountByCode(ctx.shop, code);
    if (taken && taken !== self) errors.push(uerr([F, "code"], "Code must be unique. Please try a different code.", "TAKEN"));
  }
  const startsAt = input.startsAt ?? base?.startsAt ?? null;
  const endsAt = input.endsAt !== undefined ? input.endsAt : (base?.endsAt ?? null);
  if (!startsAt) errors.push(uerr([F, "startsAt"], "Starts at can't be blank", "BLANK"));
  if (startsAt && endsAt && Date.parse(endsAt) <= Date.parse(startsAt))
    errors.push(uerr([F, "endsAt"], "Ends at needs to be after starts_at", "INVALID"));

  let value: DiscountRec["value"] | undefined = base?.value;
  let items: DiscountRec["items"] = base?.items ?? { kind: "all" };
  const gets = input.customerGets;
  if (gets) {
    // The emulated catalog has no collections; products and variants restrictions beyond productsToAdd are not emulated.
    if (gets.items?.collections) throw notImpl("customerGets.items.collections");
    if (gets.items?.products?.productVariantsToAdd?.length) throw notImpl("customerGets.items.products.productVariantsToAdd");
    if (gets.value?.discountOnQuantity) throw notImpl("customerGets.value.discountOnQuantity");
    if (gets.value?.percentage != null) {
      const p = gets.value.percentage;
      if (!(p >= 0 && p <= 1))
        errors.push(uerr([F, "customerGets", "value", "percentage"], "Value must be between 0.0 and 1.0", "VALUE_OUTSIDE_RANGE"));
      value = { kind: "percentage", percentage: p };
    } else if (gets.value?.discountAmount) {
      const amount = Number(gets.value.discountAmount.amount);
      if (!Number.isFinite(amount) || amount <= 0)
        errors.push(uerr([F, "customerGets", "value", "discountAmount", "amount"], "Value must be greater than 0", "GREATER_THAN"));
      value = { kind: "amount", amountCents: Math.round(amount * 100), appliesOnEachItem: !!gets.value.discountAmount.appliesOnEachItem };
    } else if (gets.value) {
      errors.push(uerr([F, "customerGets", "value"], "Value can't be blank", "BLANK"));
    }
    if (gets.items?.products) {
      // DiscountItemsInput (shopify.dev, admin-graphql 2026-07): the code reduces only lines of these products.
      const add = gets.items.products.productsToAdd ?? [];
      const indices: number[] = [];
      for (const id of add) {
        const legacy = parseGid(id)?.type === "Product" ? parseGid(id)!.id : NaN;
        const p = ctx.shop.data.catalog.find((x) => x.legacyId === legacy);
        if (!p)
          errors.push(
            uerr(
              [F, "customerGets", "items", "products", "productsToAdd"],
              `Product with id: ${parseGid(id)?.id ?? id} is invalid`,
              "INVALID",
            ),
          );
        else indices.push(p.index);
      }
      if (!add.length) errors.push(uerr([F, "customerGets", "items"], "Items can't be blank", "BLANK"));
      items = { kind: "products", productIndices: [...new Set(indices)] };
    } else if (gets.items && gets.items.all !== true) errors.push(uerr([F, "customerGets", "items"], "Items can't be blank", "BLANK"));
    else if (gets.items?.all) items = { kind: "all" };
  }
  if (F === "freeShippingCodeDiscount") {
    // A free-shipping code has no customerGets; what it gives is the shipping of the chosen destinations.
    if (input.destination?.countries) throw notImpl("destination.countries");
    if (input.maximumShippingPrice != null) throw notImpl("maximumShippingPrice");
    value = { kind: "free_shipping" };
  }
  if (!value) errors.push(uerr([F, "customerGets"], "Customer gets can't be blank", "BLANK"));

  let minSubtotalCents = base?.minSubtotalCents ?? null;
  let minQuantity = base?.minQuantity ?? null;
  if (input.minimumRequirement !== undefined) {
    const m = input.minimumRequirement;
    const sub = m?.subtotal?.greaterThanOrEqualToSubtotal;
    const qty = m?.quantity?.greaterThanOrEqualToQuantity;
    if (sub != null && qty != null)
      errors.push(
        uerr(
          [F, "minimumRequirement"],
          "Minimum subtotal and quantity range cannot both be present",
          "MINIMUM_SUBTOTAL_AND_QUANTITY_RANGE_BOTH_PRESENT",
        ),
      );
    minSubtotalCents = sub != null ? Math.round(Number(sub) * 100) : null;
    minQuantity = qty != null ? Number(qty) : null;
    if (minSubtotalCents != null && !(minSubtotalCents > 0))
      errors.push(
        uerr(
          [F, "minimumRequirement", "subtotal", "greaterThanOrEqualToSubtotal"],
          "Minimum subtotal must be greater than 0",
          "GREATER_THAN",
        ),
      );
  }

  const usageLimit = input.usageLimit !== undefined ? input.usageLimit : (base?.usageLimit ?? null);
  if (usageLimit != null && usageLimit <= 0) errors.push(uerr([F, "usageLimit"], "Usage limit must be greater than 0", "GREATER_THAN"));

  if (input.context && input.customerSelection)
    errors.push(uerr([F, "context"], "Only one of context or customerSelection can be provided.", "INVALID"));
  let context: DiscountRec["context"] = base?.context ?? { kind: "all" };
  const cx: BasicInput["context"] =
    input.context ??
    (input.customerSelection
      ? {
          all: input.customerSelection.all ? "ALL" : null,
          customerSegments: input.customerSelection.customerSegments,
          customers: input.customerSelection.customers,
        }
      : undefined);
  if (cx) {
    if (cx.markets) throw notImpl("context.markets");
    const kinds = [cx.all ? "all" : null, cx.customerSegments ? "segments" : null, cx.customers ? "customers" : null].filter(Boolean);
    if (kinds.length > 1)
      errors.push(uerr([F, "context"], "Only one of all, customerSegments, customers or markets can be provided.", "INVALID"));
    const field = input.context ? "context" : "customerSelection";
    if (cx.customerSegments) {
      const prev = context.kind === "segments" ? context.ids : [];
      const ids = [
        ...new Set([...prev.filter((id) => !(cx.customerSegments!.remove ?? []).includes(id)), ...(cx.customerSegments.add ?? [])]),
      ];
      for (const id of cx.customerSegments.add ?? []) {
        if (!findSegment(ctx.shop, id))
          errors.push(
            uerr([F, field, "customerSegments", "add"], `Customer segment with id: ${parseGid(id)?.id ?? id} is invalid`, "INVALID"),
          );
      }
      context = { kind: "segments", ids };
    } else if (cx.customers) {
      const prev = context.kind === "customers" ? context.ids : [];
      const ids = [...new Set([...prev.filter((id) => !(cx.customers!.remove ?? []).includes(id)), ...(cx.customers.add ?? [])])];
      for (const id of cx.customers.add ?? []) {
        if (ctx.shop.customerIndexFromId(id) < 0)
          errors.push(uerr([F, field, "customers", "add"], `Customer with id: ${parseGid(id)?.id ?? id} is invalid`, "INVALID"));
      }
      context = { kind: "customers", ids };
    } else if (cx.all) {
      context = { kind: "all" };
    }
  }
  const cw = input.combinesWith;
  if (cw?.productDiscountsWithTagsOnSameCartLine) throw notImpl("combinesWith.productDiscountsWithTagsOnSameCartLine");
  const combinesWith = {
    orderDiscounts: cw?.orderDiscounts ?? base?.combinesWith.orderDiscounts ?? false,
    productDiscounts: cw?.productDiscounts ?? base?.combinesWith.productDiscounts ?? false,
    shippingDiscounts: cw?.shippingDiscounts ?? base?.combinesWith.shippingDiscounts ?? false,
  };
  const tags = input.tags ?? base?.tags ?? [];
  if (tags.length > 50) errors.push(uerr([F, "tags"], "Tags cannot be more than 50", "TOO_MANY_TAGS"));
  if (errors.length) return { errors };
  return {
    errors,
    rec: {
      title: title!.trim(),
      code,
      startsAt: iso(Date.parse(startsAt!)),
      endsAt: endsAt ? iso(Date.parse(endsAt)) : null,
      value: value!,
      minSubtotalCents,
      minQuantity,
      appliesOncePerCustomer: input.appliesOncePerCustomer ?? base?.appliesOncePerCustomer ?? false,
      usageLimit: usageLimit ?? null,
      combinesWith,
      context,
      items,
      tags,
    },
  };
}

// ---------------- views ----------------

function money(cents: number, ctx: RequestContext) {
  return { __typename: "MoneyV2", amount: (Math.round(cents) / 100).toFixed(2), currencyCode: ctx.shop.data.currencyCode };
}

function summary(d: DiscountRec, ctx: RequestContext): string {
  const cur = ctx.shop.data.currencyCode;
  const parts: string[] = [];
  if (d.value.kind === "free_shipping") parts.push("Free shipping on all products");
  else if (d.value.kind === "percentage") parts.push(`${Math.round(d.value.percentage * 10000) / 100}% off entire order`);
  else parts.push(`${(d.value.amountCents / 100).toFixed(2)} ${cur} off ${d.value.appliesOnEachItem ? "each item" : "entire order"}`);
  if (d.minSubtotalCents != null) parts.push(`Minimum purchase of ${(d.minSubtotalCents / 100).toFixed(2)} ${cur}`);
  if (d.minQuantity != null) parts.push(`Minimum quantity of ${d.minQuantity} items`);
  if (d.context.kind === "segments")
    parts.push(
      d.context.ids.length === 1
        ? `For ${findSegment(ctx.shop, d.context.ids[0]!)?.name ?? "1 segment"}`
        : `For ${d.context.ids.length} segments`,
    );
  if (d.context.kind === "customers") parts.push(`For ${d.context.ids.length} customer${d.context.ids.length === 1 ? "" : "s"}`);
  if (d.usageLimit != null) parts.push(`Limit of ${d.usageLimit} use${d.usageLimit === 1 ? "" : "s"}`);
  if (d.appliesOncePerCustomer) parts.push("One use per customer");
  return parts.join(" • ");
}

function contextView(d: DiscountRec, ctx: RequestContext) {
  switch (d.context.kind) {
    case "all":
      return { __typename: "DiscountBuyerSelectionAll", all: "ALL" };
    case "segments":
      return {
        __typename: "DiscountCustomerSegments",
        segments: d.context.ids.flatMap((id) => {
          const s = findSegment(ctx.shop, id);
          return s
            ? [
                {
                  __typename: "Segment",
                  id: s.id,
                  name: s.name,
                  query: s.query,
                  creationDate: s.creationDate,
                  lastEditDate: s.lastEditDate,
                },
              ]
            : [];
        }),
      };
    case "customers":
      return {
        __typename: "DiscountCustomers",
        customers: d.context.ids.flatMap((id) => {
          const c = ctx.shop.customerIndexFromId(id);
          return c >= 0 ? [ctx.shop.customerView(c)] : [];
        }),
      };
  }
}

function codeView(d: DiscountRec, ctx: RequestContext) {
  const redeemCode = {
    __typename: "DiscountRedeemCode",
    id: gid("DiscountRedeemCode", d.codeLegacyId),
    code: d.code,
    asyncUsageCount: d.usageCount,
    createdBy: null,
  };
  return {
    __typename: d.value.kind === "free_shipping" ? "DiscountCodeFreeShipping" : "DiscountCodeBasic",
    title: d.title,
    get status() {
      return discountStatus(d, ctx.now());
    },
    startsAt: d.startsAt,
    endsAt: d.endsAt,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    asyncUsageCount: d.usageCount,
    usageLimit: d.usageLimit,
    appliesOncePerCustomer: d.appliesOncePerCustomer,
    hasTimelineComment: false,
    discountClass: d.value.kind === "free_shipping" ? "SHIPPING" : "ORDER",
    discountClasses: [d.value.kind === "free_shipping" ? "SHIPPING" : "ORDER"],
    destinationSelection: { __typename: "DiscountCountryAll", allCountries: true },
    maximumShippingPrice: null,
    tags: d.tags,
    shareableUrls: [],
    get summary() {
      return summary(d, ctx);
    },
    get shortSummary() {
      return summary(d, ctx).split(" • ")[0];
    },
    totalSales: money(d.totalSalesCents, ctx),
    combinesWith: { __typename: "DiscountCombinesWith", ...d.combinesWith, productDiscountsWithTagsOnSameCartLine: null },
    get context() {
      return contextView(d, ctx);
    },
    get customerSelection() {
      const v = contextView(d, ctx);
      return v.__typename === "DiscountBuyerSelectionAll" ? { __typename: "DiscountCustomerAll", allCustomers: true } : v;
    },
    customerGets: {
      __typename: "DiscountCustomerGets",
      appliesOnOneTimePurchase: true,
      appliesOnSubscription: false,
      items:
        d.items?.kind === "products"
          ? {
              __typename: "DiscountProducts",
              products: {
                nodes: d.items.productIndices.map((i) => {
                  const p = ctx.shop.data.catalog[i]!;
                  return { __typename: "Product", id: gid("Product", p.legacyId), title: p.title };
                }),
              },
              productVariants: { nodes: [] },
            }
          : { __typename: "AllDiscountItems", allItems: true },
      value:
        d.value.kind === "percentage"
          ? { __typename: "DiscountPercentage", percentage: d.value.percentage }
          : d.value.kind === "amount"
            ? { __typename: "DiscountAmount", amount: money(d.value.amountCents, ctx), appliesOnEachItem: d.value.appliesOnEachItem }
            : null,
    },
    minimumRequirement:
      d.minSubtotalCents != null
        ? { __typename: "DiscountMinimumSubtotal", greaterThanOrEqualToSubtotal: money(d.minSubtotalCents, ctx) }
        : d.minQuantity != null
          ? { __typename: "DiscountMinimumQuantity", greaterThanOrEqualToQuantity: String(d.minQuantity) }
          : null,
    codes: (a: ConnectionArgs) => {
      const conn = connection(
        Int32Array.from([0]),
        a,
        () => d.codeLegacyId,
        () => d.codeLegacyId,
        () => redeemCode,
      );
      return { ...conn, __typename: "DiscountRedeemCodeConnection" };
    },
    codesCount: { __typename: "Count", count: 1, precision: "EXACT" },
  };
}

function nodeView(d: DiscountRec, ctx: RequestContext) {
  return {
    __typename: "DiscountCodeNode",
    id: d.id,
    get codeDiscount() {
      return codeView(d, ctx);
    },
  };
}

function findDiscount(ctx: RequestContext, id: string): DiscountRec | undefined {
  return discountsOf(ctx.shop).find((d) => d.id === id);
}

/** `query` filter of codeDiscountNodes / discountNodes: status:, title:, code: and free text. */
function matchesDiscountQuery(d: DiscountRec, q: string | null | undefined, now: number): boolean {
  if (!q) return true;
  return q
    .trim()
    .split(/\s+(?:AND\s+)?/i)
    .every((term) => {
      const m = /^(\w+):['"]?([^'"]*)['"]?$/.exec(term);
      if (!m) return `${d.title} ${d.code}`.toLowerCase().includes(term.toLowerCase());
      const v = m[2]!.toLowerCase();
      switch (m[1]) {
        case "status":
          return discountStatus(d, now).toLowerCase() === v;
        case "title":
          return d.title.toLowerCase().includes(v);
        case "code":
          return d.code.toLowerCase() === v;
        case "discount_type":
          return v === "code" || v === "basic";
        default:
          throw new GraphQLError(`Discount search field ${m[1]} is not implemented by the Shopify emulator`, {
            extensions: { code: "NOT_IMPLEMENTED" },
          });
      }
    });
}

function listDiscounts(
  ctx: RequestContext,
  a: ConnectionArgs & { query?: string | null; sortKey?: string },
  wrap: (d: DiscountRec) => unknown,
) {
  const list = discountsOf(ctx.shop);
  const idx = list.map((_, i) => i).filter((i) => matchesDiscountQuery(list[i]!, a.query, ctx.now()));
  const sortKey = a.sortKey ?? "ID";
  const key = (i: number): number | string => {
    const d = list[i]!;
    switch (sortKey) {
      case "ID":
      case "RELEVANCE":
        return d.legacyId;
      case "CREATED_AT":
        return d.createdAt;
      case "UPDATED_AT":
        return d.updatedAt;
      case "STARTS_AT":
        return d.startsAt;
      case "ENDS_AT":
        return d.endsAt ?? "9999";
      case "TITLE":
        return d.title.toLowerCase();
      default:
        throw new GraphQLError(`Discount sortKey ${sortKey} is not implemented by the Shopify emulator`, {
          extensions: { code: "NOT_IMPLEMENTED" },
        });
    }
  };
  idx.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : list[x]!.legacyId - list[y]!.legacyId));
  return connection(
    Int32Array.from(idx),
    a,
    key,
    (i) => list[i]!.legacyId,
    (i) => wrap(list[i]!),
  );
}

// ---------------- redemption (orders) ----------------

export interface AppliedCode {
  code: string;
  amountCents: number;
  /** Order discount_codes' type; a free-shipping code is "shipping". */
  type: "percentage" | "fixed_amount" | "shipping";
}

export class DiscountCodeRejected extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(`Discount code ${code} cannot be applied: ${reason}`);
  }
}

/** Checks every code like checkout would (at the order's time) and returns the reductions; throws if one is not applicable. */
export function priceDiscountCodes(
  shop: ShopState,
  customer: number,
  lines: Array<{ unitPriceCents: number; quantity: number; productIndex?: number }>,
  subtotalCents: number,
  codes: string[],
  at: number,
): { applied: AppliedCode[]; recs: DiscountRec[] } {
  const recs: DiscountRec[] = [];
  for (const raw of codes) {
    const d = findDiscountByCode(shop, raw);
    if (!d) throw new DiscountCodeRejected(raw, "Enter a valid discount code");
    if (recs.includes(d)) continue;
    const status = discountStatus(d, at);
    if (status !== "ACTIVE")
      throw new DiscountCodeRejected(raw, status === "SCHEDULED" ? "the discount is not active yet" : "the discount has expired");
    if (d.usageLimit != null && d.usageCount >= d.usageLimit) throw new DiscountCodeRejected(raw, "the usage limit has been reached");
    if (d.context.kind !== "all") {
      if (customer < 0) throw new DiscountCodeRejected(raw, "the customer is not eligible (guest checkout)");
      const ok =
        d.context.kind === "customers"
          ? d.context.ids.some((id) => shop.customerIndexFromId(id) === customer)
          : d.context.ids.some((id) => {
              const s = findSegment(shop, id);
              return !!s && matchesSegment(shop, customer, s.expr);
            });
      if (!ok) throw new DiscountCodeRejected(raw, "the customer is not eligible");
    }
    if (d.appliesOncePerCustomer && customer >= 0 && d.redeemedBy.includes(customer))
      throw new DiscountCodeRejected(raw, "the customer has already used this code");
    if (d.minSubtotalCents != null && subtotalCents < d.minSubtotalCents)
      throw new DiscountCodeRejected(raw, "the order does not meet the minimum subtotal");
    const qty = lines.reduce((s, l) => s + l.quantity, 0);
    if (d.minQuantity != null && qty < d.minQuantity) throw new DiscountCodeRejected(raw, "the order does not meet the minimum quantity");
    // A code limited to some products is refused at checkout when no line is one of them.
    if (
      d.items?.kind === "products" &&
      !lines.some((l) => l.productIndex != null && (d.items as { productIndices: number[] }).productIndices.includes(l.productIndex))
    ) {
      throw new DiscountCodeRejected(raw, "the code does not apply to any item in the order");
    }
    recs.push(d);
  }
  if (recs.length > 1 && !recs.every((d) => d.combinesWith.orderDiscounts))
    throw new DiscountCodeRejected(codes.join(","), "these discounts cannot be combined");
  let remaining = subtotalCents;
  const applied = recs.map((d) => {
    // Limited to some products: only those lines are reduced (DiscountItemsInput.products).
    const eligible =
      d.items?.kind === "products"
        ? lines.filter((l) => l.productIndex != null && (d.items as { productIndices: number[] }).productIndices.includes(l.productIndex))
        : lines;
    const base =
      d.items?.kind === "products"
        ? Math.min(
            remaining,
            eligible.reduce((s, l) => s + l.unitPriceCents * l.quantity, 0),
          )
        : remaining;
    const eligibleQty = eligible.reduce((s, l) => s + l.quantity, 0);
    // Emulated orders carry no shipping line, so a free-shipping code reduces nothing (it is still redeemed).
    const amount =
      d.value.kind === "free_shipping"
        ? 0
        : d.value.kind === "percentage"
          ? Math.round(base * d.value.percentage)
          : Math.min(base, d.value.amountCents * (d.value.appliesOnEachItem ? eligibleQty : 1));
    remaining -= amount;
    const type = d.value.kind === "free_shipping" ? "shipping" : d.value.kind === "percentage" ? "percentage" : "fixed_amount";
    return { code: d.code, amountCents: amount, type: type as AppliedCode["type"] };
  });
  return { applied, recs };
}

/** Records the redemption once the order exists (asyncUsageCount, once-per-customer, total sales). */
export function commitRedemption(recs: DiscountRec[], customer: number, orderTotalCents: number) {
  for (const d of recs) {
    d.usageCount++;
    if (customer >= 0) d.redeemedBy.push(customer);
    d.totalSalesCents += orderTotalCents;
  }
}

// ---------------- module ----------------

/** Stores a validated basic or free-shipping code discount; a userError creates nothing. */
function createCode(ctx: RequestContext, P: string, { errors, rec }: ReturnType<typeof validateBasic>) {
  if (!rec) return { __typename: P, codeDiscountNode: null, userErrors: errors };
  const legacyId = nextDiscountId++;
  const at = iso(ctx.now());
  const d: DiscountRec = {
    ...rec,
    legacyId,
    id: gid("DiscountCodeNode", legacyId),
    codeLegacyId: nextRedeemCodeId++,
    createdAt: at,
    updatedAt: at,
    usageCount: 0,
    redeemedBy: [],
    totalSalesCents: 0,
  };
  discountsOf(ctx.shop).push(d);
  return { __typename: P, codeDiscountNode: nodeView(d, ctx), userErrors: [] };
}

export const discountsModule: EmulatorModule = {
  name: "discounts",
  register(r) {
    r.field(
      "Mutation",
      "discountCodeBasicCreate",
      (_s, a: { basicCodeDiscount: BasicInput }, ctx) =>
        createCode(ctx, "DiscountCodeBasicCreatePayload", validateBasic(ctx, a.basicCodeDiscount)),
      { scope: "write_discounts" },
    );
    r.field(
      "Mutation",
      "discountCodeFreeShippingCreate",
      (_s, a: { freeShippingCodeDiscount: BasicInput }, ctx) =>
        createCode(
          ctx,
          "DiscountCodeFreeShippingCreatePayload",
          validateBasic(ctx, a.freeShippingCodeDiscount, undefined, "freeShippingCodeDiscount"),
        ),
      { scope: "write_discounts" },
    );
    r.field(
      "Mutation",
      "discountCodeBasicUpdate",
      (_s, a: { id: string; basicCodeDiscount: BasicInput }, ctx) => {
        const P = "DiscountCodeBasicUpdatePayload";
        const d = findDiscount(ctx, a.id);
        if (!d) return { __typename: P, codeDiscountNode: null, userErrors: [uerr(["id"], "Discount does not exist", "INVALID")] };
        const { errors, rec } = validateBasic(ctx, a.basicCodeDiscount, d);
        if (!rec) return { __typename: P, codeDiscountNode: null, userErrors: errors };
        Object.assign(d, rec, { updatedAt: iso(ctx.now()) });
        return { __typename: P, codeDiscountNode: nodeView(d, ctx), userErrors: [] };
      },
      { scope: "write_discounts" },
    );
    r.field(
      "Mutation",
      "discountCodeDeactivate",
      (_s, a: { id: string }, ctx) => {
        const P = "DiscountCodeDeactivatePayload";
        const d = findDiscount(ctx, a.id);
        if (!d) return { __typename: P, codeDiscountNode: null, userErrors: [uerr(["id"], "Discount does not exist", "INVALID")] };
        // Shopify expires a code discount by moving endsAt to now.
        if (discountStatus(d, ctx.now()) !== "EXPIRED") {
          d.endsAt = iso(ctx.now());
          d.updatedAt = iso(ctx.now());
        }
        return { __typename: P, codeDiscountNode: nodeView(d, ctx), userErrors: [] };
      },
      { scope: "write_discounts" },
    );
    r.field(
      "Mutation",
      "discountCodeActivate",
      (_s, a: { id: string }, ctx) => {
        const P = "DiscountCodeActivatePayload";
        const d = findDiscount(ctx, a.id);
        if (!d) return { __typename: P, codeDiscountNode: null, userErrors: [uerr(["id"], "Discount does not exist", "INVALID")] };
        if (discountStatus(d, ctx.now()) !== "ACTIVE") {
          if (Date.parse(d.startsAt) > ctx.now()) d.startsAt = iso(ctx.now());
          d.endsAt = null;
          d.updatedAt = iso(ctx.now());
        }
        return { __typename: P, codeDiscountNode: nodeView(d, ctx), userErrors: [] };
      },
      { scope: "write_discounts" },
    );
    r.field(
      "Mutation",
      "discountCodeDelete",
      (_s, a: { id: string }, ctx) => {
        const list = discountsOf(ctx.shop);
        const i = list.findIndex((d) => d.id === a.id);
        if (i < 0)
          return {
            __typename: "DiscountCodeDeletePayload",
            deletedCodeDiscountId: null,
            userErrors: [uerr(["id"], "Discount does not exist", "INVALID")],
          };
        list.splice(i, 1);
        return { __typename: "DiscountCodeDeletePayload", deletedCodeDiscountId: a.id, userErrors: [] };
      },
      { scope: "write_discounts" },
    );

    r.field(
      "QueryRoot",
      "codeDiscountNode",
      (_s, a: { id: string }, ctx) => {
        const d = findDiscount(ctx, a.id);
        return d ? nodeView(d, ctx) : null;
      },
      { scope: "read_discounts" },
    );
    r.field(
      "QueryRoot",
      "codeDiscountNodeByCode",
      (_s, a: { code: string }, ctx) => {
        const d = findDiscountByCode(ctx.shop, a.code);
        return d ? nodeView(d, ctx) : null;
      },
      { scope: "read_discounts" },
    );
    nodeResolvers.set("DiscountCodeNode", (ctx, _id, g) => {
      const d = findDiscount(ctx, g);
      return d ? nodeView(d, ctx) : null;
    });
    r.field(
      "QueryRoot",
      "codeDiscountNodes",
      (_s, a: ConnectionArgs & { query?: string | null; sortKey?: string; savedSearchId?: string | null }, ctx) => {
        if (a.savedSearchId) throw notImpl("codeDiscountNodes(savedSearchId)");
        return listDiscounts(ctx, a, (d) => nodeView(d, ctx));
      },
      { scope: "read_discounts" },
    );
    r.field(
      "QueryRoot",
      "discountNodes",
      (_s, a: ConnectionArgs & { query?: string | null; sortKey?: string; savedSearchId?: string | null }, ctx) => {
        if (a.savedSearchId) throw notImpl("discountNodes(savedSearchId)");
        return listDiscounts(ctx, a, (d) => ({
          __typename: "DiscountNode",
          id: gid("DiscountNode", d.legacyId),
          get discount() {
            return codeView(d, ctx);
          },
        }));
      },
      { scope: "read_discounts" },
    );
    r.field(
      "QueryRoot",
      "discountCodesCount",
      (_s, a: { query?: string | null; limit?: number | null }, ctx) => {
        const n = discountsOf(ctx.shop).filter((d) => matchesDiscountQuery(d, a.query, ctx.now())).length;
        const limit = a.limit ?? Number.POSITIVE_INFINITY;
        return { __typename: "Count", count: Math.min(n, limit), precision: n > limit ? "AT_LEAST" : "EXACT" };
      },
      { scope: "read_discounts" },
    );

    r.field("Order", "totalDiscountsSet", (o, _a, ctx) =>
      moneyBag(
        (ctx.shop.orderDiscountCodes.get(o._idx) ?? []).reduce((s, x) => s + x.amountCents, 0),
        ctx.shop.data.currencyCode,
      ),
    );
  },
};
