import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeEmail } from "../../app/messaging/compose";
import { discountInput } from "../../app/campaigns/launch";
import type { CampaignRow } from "../../app/campaigns/store";
import { parseCampaignSettings } from "../../app/domain/campaigns";
import { createBasicCodeDiscount } from "../../app/shopify/discounts";
import { createAdminClient, type AdminClient } from "../../app/shopify/graphql-client";
import type { Emulator } from "../shopify-emulator/index";
import { SHOP, start } from "../shopify-emulator/helpers";

/**
 * "Exclusions" are enforced by the discount itself or not offered (issue 13, ADR 077). A code
 * limited to some products is sent to Shopify as customerGets.items.products.productsToAdd
 * (DiscountItemsInput, shopify.dev admin-graphql 2026-07), the emulator prices it like checkout
 * (only those lines are reduced; an order without any of them is refused), and the email names the
 * products instead of printing a free-text exclusion the code would not enforce.
 */
describe("discount items: what the email says the code covers is what Shopify lets it reduce", () => {
  let emu: Emulator;
  let token: string;
  let client: AdminClient;
  let productGid: (i: number) => { id: string; title: string };
  beforeAll(async () => {
    ({ emu } = await start());
    await emu.addShop(SHOP, { seed: 5, customers: 20, years: 1 });
    token = emu.issueAccessToken(SHOP);
    client = createAdminClient({ shop: SHOP, accessToken: token, urlTemplate: `${emu.url}/{shop}` });
    const catalog = emu.shop(SHOP).data.catalog;
    productGid = (i) => ({ id: `gid://shopify/Product/${catalog[i]!.legacyId}`, title: catalog[i]!.title });
  });
  afterAll(async () => emu?.stop());

  const campaign = (settings: unknown, code: string): CampaignRow =>
    ({
      id: code.toLowerCase(),
      name: "Items",
      settings: parseCampaignSettings(settings),
      discountCode: code,
      launchAt: new Date("2026-11-01T00:00:00Z"),
      discountEndsAt: new Date("2026-11-15T00:00:00Z"),
    }) as CampaignRow;

  it("a code limited to one product reduces only that product's lines, and is refused on an order without it", async () => {
    const p0 = productGid(0);
    const c = campaign({ discount: { value: 10, appliesTo: { kind: "products", products: [p0] } } }, "WB-ITEMS-1");
    const input = { ...discountInput(c, "unused"), context: { all: "ALL" as const } };
    expect(input.customerGets.items).toEqual({ products: { productsToAdd: [p0.id] } });
    expect(await createBasicCodeDiscount(client, input)).toMatchObject({ ok: true });

    const s = emu.shop(SHOP);
    const customer = s.customerLegacyId(1);
    const order = emu.createOrder(SHOP, {
      customerId: customer,
      processedAt: "2026-11-02T10:00:00Z",
      lineItems: [
        { productIndex: 0, quantity: 1, priceCents: 5000 },
        { productIndex: 1, quantity: 1, priceCents: 3000 },
      ],
      discountCodes: ["WB-ITEMS-1"],
    }) as { total_discounts: string; current_total_price: string };
    // 10% of the 50.00 line only, not of the 80.00 order.
    expect(order.total_discounts).toBe("5.00");
    expect(order.current_total_price).toBe("75.00");
    expect(() =>
      emu.createOrder(SHOP, {
        customerId: s.customerLegacyId(2),
        processedAt: "2026-11-02T11:00:00Z",
        lineItems: [{ productIndex: 1, quantity: 1, priceCents: 3000 }],
        discountCodes: ["WB-ITEMS-1"],
      }),
    ).toThrow(/does not apply to any item/);
  });

  it("an unknown product is Shopify's userError on the items field, not a silent 'every item'", async () => {
    const c = campaign(
      { discount: { appliesTo: { kind: "products", products: [{ id: "gid://shopify/Product/1", title: "Gone" }] } } },
      "WB-ITEMS-2",
    );
    const res = await createBasicCodeDiscount(client, { ...discountInput(c, "unused"), context: { all: "ALL" } });
    const errs = res.ok ? [] : res.userErrors;
    expect(errs).toHaveLength(1);
    expect(errs[0].field).toEqual(["basicCodeDiscount", "customerGets", "items", "products", "productsToAdd"]);
  });

  it("the email names the products the code covers and prints no free-text exclusion", () => {
    const p0 = productGid(0);
    const p1 = productGid(1);
    const settings = parseCampaignSettings({
      discount: { appliesTo: { kind: "products", products: [p0, p1] }, exclusions: "Excludes gift cards." },
    });
    // A stored free-text exclusion no longer parses into the settings at all.
    expect(JSON.stringify(settings)).not.toContain("gift cards");
    const d = settings.discount;
    // What a touch hands messaging (app/campaigns/touch.ts): the terms the code enforces.
    const mail = composeEmail(
      {
        template: "winback_standard",
        stage: "first",
        firstName: "Ana",
        discount: { percent: d.value },
        code: "WB-ITEMS-1",
        endsAt: new Date("2026-11-15T00:00:00Z"),
        link: `https://${SHOP}/discount/WB-ITEMS-1`,
        terms: {
          minimumSubtotal: null,
          oncePerCustomer: d.appliesOncePerCustomer,
          products: d.appliesTo.products.map((p) => p.title),
          combinesWith: d.combinesWith,
        },
      },
      { locale: "en", shopName: "Shop", currencyCode: "EUR", timeZone: "UTC" },
    );
    expect(mail.text).toContain(`Valid on ${p0.title} and ${p1.title} only.`);
    expect(mail.text).not.toContain("gift cards");
  });

  it("a code limited to products needs at least one product", () => {
    expect(() => parseCampaignSettings({ discount: { appliesTo: { kind: "products", products: [] } } })).toThrow(
      /choose at least one product/,
    );
  });
});
