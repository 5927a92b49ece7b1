import { z } from "zod";
import { SHOP_EMAIL_IDENTITY_QUERY, SHOP_OVERVIEW_QUERY } from "./documents/shop";
import type { AdminClient } from "./graphql-client";
import { parseResponse } from "./response";

/** Shop facts: name, currency and time zone decide how orders are dated and valued. */
const CountSchema = z.object({ count: z.number().int().nonnegative(), precision: z.string().nullish() }).nullable();
const OverviewResponse = z.object({
  shop: z.object({
    id: z.string(),
    name: z.string(),
    myshopifyDomain: z.string(),
    currencyCode: z.string(),
    ianaTimezone: z.string(),
    email: z.string().nullish(),
  }),
  ordersCount: CountSchema,
  customersCount: CountSchema,
});

export interface ShopOverview {
  id: string;
  name: string;
  myshopifyDomain: string;
  currencyCode: string;
  ianaTimezone: string;
  email: string | null;
  /** Exact counts (`limit: null`); 0 when Shopify gave none. */
  ordersCount: number;
  customersCount: number;
}

export async function fetchShopOverview(client: AdminClient): Promise<ShopOverview> {
  const data = parseResponse(OverviewResponse, await client.request(SHOP_OVERVIEW_QUERY), "shop overview");
  return {
    ...data.shop,
    email: data.shop.email ?? null,
    ordersCount: data.ordersCount?.count ?? 0,
    customersCount: data.customersCount?.count ?? 0,
  };
}

const EmailIdentityResponse = z.object({
  shop: z.object({
    name: z.string(),
    contactEmail: z.string().nullish(),
    shopAddress: z
      .object({
        company: z.string().nullish(),
        address1: z.string().nullish(),
        address2: z.string().nullish(),
        city: z.string().nullish(),
        province: z.string().nullish(),
        zip: z.string().nullish(),
        country: z.string().nullish(),
      })
      .nullish(),
  }),
});

export type ShopEmailIdentity = z.infer<typeof EmailIdentityResponse>["shop"];

/** Name, contact email and buyer-facing address: the defaults of the shop's email settings. */
export async function fetchShopEmailIdentity(client: AdminClient): Promise<ShopEmailIdentity> {
  return parseResponse(EmailIdentityResponse, await client.request(SHOP_EMAIL_IDENTITY_QUERY), "shop email identity").shop;
}
