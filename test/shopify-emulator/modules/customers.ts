// Customers: customers / customer / customersCount and Customer fields (consent, spend).
import { GraphQLError } from "graphql";
import { connection, type ConnectionArgs } from "../connection";
import { hasScope, type EmulatorModule, type RequestContext } from "../engine";
import { nodeResolvers } from "../nodes";
import { cmpNumber, matches, parseDateValue, parseSearch, type Term } from "../search";
import type { ShopState } from "../state";

export const CUSTOMER_SEARCH_FIELDS = [
  "tag",
  "tag_not",
  "updated_at",
  "created_at",
  "email",
  "id",
  "orders_count",
  "amount_spent",
  "total_spent",
  "email_marketing_state",
  "customer_date",
] as const;

export function selectCustomers(ctx: RequestContext, query: string | null | undefined, sortKey: string) {
  const shop = ctx.shop;
  const cs = shop.data.customers;
  const parsed = parseSearch(query, CUSTOMER_SEARCH_FIELDS);
  const date = (s: string) => parseDateValue(s, ctx.now());
  const test =
    (c: number) =>
    (t: Term): boolean => {
      switch (t.field) {
        case "tag":
          return (cs.tags[c] ?? []).some((x) => x.toLowerCase() === t.value.toLowerCase());
        case "tag_not":
          return !(cs.tags[c] ?? []).some((x) => x.toLowerCase() === t.value.toLowerCase());
        case "updated_at":
          return cmpNumber(cs.updatedAt[c]!, t, date);
        case "created_at":
        case "customer_date":
          return cmpNumber(cs.createdAt[c]!, t, date);
        case "email":
          return (cs.email(c) ?? "").toLowerCase() === t.value.toLowerCase();
        case "id":
          return cmpNumber(shop.customerLegacyId(c), t, Number);
        case "orders_count":
          return cmpNumber(cs.ordersCount[c]!, t, Number);
        case "amount_spent":
        case "total_spent":
          return cmpNumber(cs.spentCents[c]! / 100, t, Number);
        case "email_marketing_state":
          return shop.customerView(c)._emailState.toLowerCase() === t.value.toLowerCase();
        default: {
          const v = shop.customerView(c);
          return `${v.displayName} ${v.email ?? ""}`.toLowerCase().includes(t.value.toLowerCase());
        }
      }
    };
  const key = customerSortKey(shop, sortKey);
  const out: number[] = [];
  const noFilter = parsed.clauses.length === 0;
  for (let c = 0; c < cs.length; c++) {
    if (cs.deleted.has(c)) continue;
    if (noFilter || matches(parsed, test(c))) out.push(c);
  }
  if (sortKey !== "ID") out.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a - b));
  return { items: out, key, warnings: parsed.invalidFields };
}

function customerSortKey(shop: ShopState, sortKey: string): (c: number) => number | string {
  const cs = shop.data.customers;
  switch (sortKey) {
    case "ID":
      return (c) => shop.customerLegacyId(c);
    case "UPDATED_AT":
      return (c) => cs.updatedAt[c]!;
    case "CREATED_AT":
      return (c) => cs.createdAt[c]!;
    case "NAME":
      return (c) => shop.customerView(c).displayName.toLowerCase();
    default:
      throw new GraphQLError(`Customer sortKey ${sortKey} is not implemented by the Shopify emulator`, {
        extensions: { code: "NOT_IMPLEMENTED" },
      });
  }
}

function findCustomer(ctx: RequestContext, id: string) {
  const c = ctx.shop.customerIndexFromId(id);
  return c < 0 ? null : ctx.shop.customerView(c);
}

export const customersModule: EmulatorModule = {
  name: "customers",
  register(r) {
    r.field(
      "QueryRoot",
      "customers",
      (_s, a: ConnectionArgs & { query?: string; sortKey: string }, ctx) => {
        const { items, key, warnings } = selectCustomers(ctx, a.query, a.sortKey);
        if (warnings.length) (ctx.services.searchWarnings as string[] | undefined)?.push(...warnings);
        return connection(
          items,
          a,
          key,
          (c) => ctx.shop.customerLegacyId(c),
          (c) => ctx.shop.customerView(c),
          { unbounded: a.first == null && a.last == null && !!ctx.services.bulk },
        );
      },
      { scope: "read_customers" },
    );
    r.field("QueryRoot", "customer", (_s, a: { id: string }, ctx) => findCustomer(ctx, a.id), { scope: "read_customers" });
    r.field(
      "QueryRoot",
      "customersCount",
      (_s, a: { query?: string; limit?: number | null }, ctx) => {
        const { items } = selectCustomers(ctx, a.query, "ID");
        const limit = a.limit ?? Number.POSITIVE_INFINITY;
        return { __typename: "Count", count: Math.min(items.length, limit), precision: items.length > limit ? "AT_LEAST" : "EXACT" };
      },
      { scope: "read_customers" },
    );
    nodeResolvers.set("Customer", (ctx, _id, g) => (hasScope(ctx.token.scopes, "read_customers") ? findCustomer(ctx, g) : null));

    r.type("Customer", {
      amountSpent: (c, _a, ctx) => ({
        __typename: "MoneyV2",
        amount: (c._spentCents / 100).toFixed(2),
        currencyCode: ctx.shop.data.currencyCode,
      }),
      emailMarketingConsent: (c) =>
        c.email
          ? {
              __typename: "CustomerEmailMarketingConsentState",
              marketingState: c._emailState,
              marketingOptInLevel: c._emailOptIn,
              consentUpdatedAt: c._emailConsentAt,
            }
          : null,
      smsMarketingConsent: (c) =>
        c.phone
          ? {
              __typename: "CustomerSmsMarketingConsentState",
              marketingState: c._smsState,
              marketingOptInLevel: "SINGLE_OPT_IN",
              consentUpdatedAt: c._smsConsentAt,
              consentCollectedFrom: "OTHER",
            }
          : null,
      defaultEmailAddress: (c) =>
        c.email
          ? {
              __typename: "CustomerEmailAddress",
              emailAddress: c.email,
              marketingState: c._emailState === "REDACTED" ? "NOT_SUBSCRIBED" : c._emailState,
              marketingOptInLevel: c._emailOptIn,
              marketingUpdatedAt: c._emailConsentAt,
              validFormat: true,
              openTrackingLevel: "OPTED_IN",
            }
          : null,
      defaultPhoneNumber: (c) =>
        c.phone
          ? {
              __typename: "CustomerPhoneNumber",
              phoneNumber: c.phone,
              marketingState: c._smsState,
              marketingOptInLevel: "SINGLE_OPT_IN",
              marketingUpdatedAt: c._smsConsentAt,
              marketingCollectedFrom: "OTHER",
            }
          : null,
    });
  },
};
