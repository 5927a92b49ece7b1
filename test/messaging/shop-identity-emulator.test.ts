import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fillEmailDefaultsFromShopify } from "../../app/messaging/feature";
import { fetchShopEmailIdentity } from "../../app/shopify/shop";
import { createAdminClient } from "../../app/shopify/graphql-client";
import { startEmulator, type Emulator } from "../shopify-emulator";
import { createTestDb, type TestDb } from "../support/db";
import { seedShop } from "./support";

/**
 * The email identity's defaults come from `shop { name contactEmail shopAddress { … } }`.
 * Source for the emulator's answer: shopify.dev Admin GraphQL `Shop.shopAddress` ("The shop's
 * address information as it will appear to buyers", non-null `ShopAddress` with company, address1,
 * address2, city, province, zip, country) and `Shop.contactEmail` ("The public-facing contact email
 * address for the shop"), as in the app's 2026-10 schema (app/shopify/schema/admin_2026-10.json.gz).
 */
const SHOP = "identity-emu.myshopify.com";

describe("email identity defaults from the emulated Shopify shop", () => {
  let emu: Emulator;
  let t: TestDb;
  const client = async () =>
    createAdminClient({
      shop: SHOP,
      accessToken: emu.issueAccessToken(SHOP),
      urlTemplate: `${emu.url}/{shop}`,
      maxAttempts: 1,
      sleep: async () => {},
    });

  beforeAll(async () => {
    t = await createTestDb("pglite");
    emu = await startEmulator({ apiKey: "identity-key", apiSecret: "identity-secret" });
    await emu.addShop(SHOP, { seed: 2, customers: 5, years: 1, name: "Maison Lumière", email: "bonjour@maison.example" });
    await emu.addShop("no-address.myshopify.com", { seed: 3, customers: 5, years: 1, address: null });
  });
  afterAll(async () => {
    await emu.stop();
    await t.drop();
  });

  it("answers shopAddress and contactEmail in Shopify's shape; the settings take them once", async () => {
    const identity = await fetchShopEmailIdentity(await client());
    expect(identity).toEqual({
      name: "Maison Lumière",
      contactEmail: "bonjour@maison.example",
      shopAddress: {
        company: null,
        address1: "151 O'Connor Street",
        address2: null,
        city: "Ottawa",
        province: "Ontario",
        zip: "K2P 2L8",
        country: "Canada",
      },
    });
    await seedShop(t.db.sql, SHOP, { messaging: {} });
    const s = await fillEmailDefaultsFromShopify(t.db.sql, client, SHOP, new Date());
    expect(s).toMatchObject({
      senderName: "Maison Lumière",
      replyTo: "bonjour@maison.example",
      postalAddress: "151 O'Connor Street\nK2P 2L8 Ottawa Ontario\nCanada",
      postalAddressSource: "shopify",
    });
  });

  it("a shop without an address leaves the postal address empty (marketing email stays refused)", async () => {
    const c = createAdminClient({
      shop: "no-address.myshopify.com",
      accessToken: emu.issueAccessToken("no-address.myshopify.com"),
      urlTemplate: `${emu.url}/{shop}`,
      maxAttempts: 1,
      sleep: async () => {},
    });
    expect((await fetchShopEmailIdentity(c)).shopAddress).toMatchObject({ address1: null, city: null });
    await seedShop(t.db.sql, "no-address.myshopify.com", { messaging: {} });
    const s = await fillEmailDefaultsFromShopify(t.db.sql, c, "no-address.myshopify.com", new Date());
    expect(s).toMatchObject({ postalAddress: "", postalAddressSource: "none", defaultsError: null });
  });
});
