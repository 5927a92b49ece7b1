// shop, node/nodes, money types shared by other modules.
import { GraphQLError } from "graphql";
import type { EmulatorModule, RequestContext } from "../engine";
import { resolveNode } from "../nodes";

/** The shop's GID (stable per domain): the owner of shop metafields. */
export const shopGid = (domain: string) => `gid://shopify/Shop/${60_000_000_000 + (hashCode(domain) % 1_000_000)}`;

export const coreModule: EmulatorModule = {
  name: "core",
  register(r) {
    r.field("QueryRoot", "shop", (_s, _a, ctx: RequestContext) => {
      const d = ctx.shop.data;
      return {
        __typename: "Shop",
        id: shopGid(ctx.shop.domain),
        name: d.name,
        myshopifyDomain: ctx.shop.domain,
        currencyCode: d.currencyCode,
        ianaTimezone: d.ianaTimezone,
        timezoneAbbreviation: "EST",
        email: d.email,
        contactEmail: d.email,
        // Shop.shopAddress is non-null in the schema; a shop without an address answers null fields.
        shopAddress: {
          __typename: "ShopAddress",
          ...(d.address ?? { company: null, address1: null, address2: null, city: null, province: null, zip: null, country: null }),
        },
        createdAt: new Date(d.createdAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
        url: `https://${ctx.shop.domain}`,
        plan: { __typename: "ShopPlan", ...d.plan, displayName: d.plan.publicDisplayName },
      };
    });
    r.field("QueryRoot", "node", (_s, a: { id: string }, ctx) => resolveNode(ctx, a.id));
    r.field("QueryRoot", "nodes", (_s, a: { ids: string[] }, ctx) => {
      if (a.ids.length > 250)
        throw new GraphQLError("The ids argument must contain at most 250 ids.", { extensions: { code: "BAD_REQUEST" } });
      return a.ids.map((id) => resolveNode(ctx, id));
    });
  },
};

function hashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}

export function moneyBag(cents: number, currencyCode: string) {
  const m = { __typename: "MoneyV2", amount: (Math.round(cents) / 100).toFixed(2), currencyCode };
  return { __typename: "MoneyBag", shopMoney: m, presentmentMoney: m };
}
