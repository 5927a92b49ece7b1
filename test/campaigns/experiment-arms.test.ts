import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestLaunch } from "../../app/campaigns/launch";
import { runTouch } from "../../app/campaigns/touch";
import { loadCampaignPage } from "../../app/campaigns/page.server";
import { armsToField } from "../../app/components/campaigns/ExperimentArmsForm";
import { armDiscountCode, parseExperiment } from "../../app/domain/campaigns/experiment";
import { isAppError } from "../../app/lib/errors";
import { composeEmail } from "../../app/messaging/compose";
import { createBasicCodeDiscount } from "../../app/shopify/discounts";
import { databaseKinds } from "../support/db";
import { campaignHarness, campaignRow, clearCampaigns, inspector, SHOP, type CampaignHarness } from "./support";

/**
 * Offer experiments with a free-shipping arm and a perk arm (ADR 099): the launch creates one
 * basic code for the price arm and one free-shipping code (discountCodeFreeShippingCreate, the
 * emulator following REC 2026-04/discounts/discount-free-shipping-lifecycle.json) for the shipping
 * arm, none for the perk arm; each arm's email says its own offer; a userError of the free-shipping
 * create stops the launch and is shown on the campaign.
 */
describe.each(databaseKinds)("free-shipping and perk arms (%s)", (kind) => {
  let h: CampaignHarness;
  beforeAll(async () => {
    h = await campaignHarness(kind, { customers: 400, vip: 5, standard: 300, seed: 21 });
  }, 600_000);
  afterAll(async () => h?.close());

  const PERK = "A hand-written note and early access to the spring collection";
  const arms = [
    { offer: { kind: "percentage", value: 15 } },
    { offer: { kind: "free_shipping" } },
    { offer: { kind: "perk", text: PERK } },
  ];

  async function firstSubscribedOf(campaignId: string, arm: string): Promise<string> {
    const m = await h.db.sql.query<{ customerId: string }>(
      `SELECT "customerId"::text AS "customerId" FROM "CampaignMember" m WHERE "campaignId" = $1 AND arm = $2
           AND EXISTS (SELECT 1 FROM "Customer" c WHERE c.shop = m.shop AND c.id = m."customerId" AND c."emailConsent" = 'SUBSCRIBED')
         ORDER BY "customerId" LIMIT 1`,
      [campaignId, arm],
    );
    if (!m[0]) throw new Error(`no subscribed member in arm ${arm}`);
    return m[0].customerId;
  }

  it("percent, free-shipping and perk arms: exactly one percent code and one free-shipping code, each email worded for its arm", async () => {
    await clearCampaigns(h.db);
    const { campaignId } = await requestLaunch(h.deps, {
      shop: SHOP,
      launchKey: "experiment-arms-kinds",
      name: "Arms kinds",
      settings: { holdoutShare: 0.2, discount: { minimumSubtotal: 20, appliesOncePerCustomer: true } },
      experiment: { arms },
    });
    await h.runDue({ queues: ["campaign.launch"] });
    const c = await campaignRow(h.db, campaignId);
    expect(c.launchError).toBeNull();
    expect(c.status).toBe("active");

    const emu = inspector(h);
    const ours = emu.store("discounts").filter((d: any) => d.code.startsWith(c.discountCode));
    expect(ours.map((d: any) => d.code).sort()).toEqual([armDiscountCode(campaignId, "A"), armDiscountCode(campaignId, "B")]);
    const [a, b] = [armDiscountCode(campaignId, "A"), armDiscountCode(campaignId, "B")].map((code) =>
      ours.find((d: any) => d.code === code),
    );
    expect(a.value).toEqual({ kind: "percentage", percentage: 0.15 });
    expect(b.value).toEqual({ kind: "free_shipping" });
    expect(emu.mutations("discountCodeBasicCreate")).toHaveLength(1);
    expect(emu.mutations("discountCodeFreeShippingCreate")).toHaveLength(1);
    // The free-shipping code has the campaign's terms, like the percent arm's: dates, minimum, once per customer, combinations, its arm's segment.
    for (const key of ["startsAt", "endsAt", "minSubtotalCents", "appliesOncePerCustomer", "combinesWith", "usageLimit"] as const)
      expect(b[key]).toEqual(a[key]);
    expect(b.minSubtotalCents).toBe(2000);
    expect(b.context.kind).toBe("segments");
    expect(b.context.ids).toEqual([c.launchSteps.segment.arms.B]);
    expect(a.context.ids).toEqual([c.launchSteps.segment.arms.A]);
    // The perk arm has neither a segment nor a code.
    expect(Object.keys(c.launchSteps.segment.arms).sort()).toEqual(["A", "B"]);
    expect(Object.keys(c.launchSteps.discount.arms).sort()).toEqual(["A", "B"]);

    h.mails.length = 0;
    for (const arm of ["A", "B", "C"]) {
      const customerId = await firstSubscribedOf(campaignId, arm);
      expect(await runTouch(h.deps, { shop: SHOP, campaignId, customerId, day: 0 })).toEqual({ action: "sent" });
    }
    expect(h.mails).toHaveLength(3);
    const [mailA, mailB, mailC] = h.mails;
    expect(mailA!.text).toContain(armDiscountCode(campaignId, "A"));
    expect(mailA!.subject).toMatch(/15%/);
    expect(mailA!.text).not.toMatch(/Free shipping/i);

    expect(mailB!.text).toContain(armDiscountCode(campaignId, "B"));
    expect(mailB!.text).toMatch(/Free shipping on your next order until \w+ \d{1,2}, \d{4}/);
    expect(mailB!.subject).toMatch(/free shipping/);
    expect(mailB!.text).toContain("For your next order: free shipping.");
    expect(mailB!.text).not.toMatch(/% off|€[\d.]+ off|EUR off/);
    expect(mailB!.text).toContain("Valid on orders of €20.00 or more.");
    expect(mailB!.text).toContain(`/discount/${armDiscountCode(campaignId, "B")}`);

    expect(mailC!.text).toContain(PERK);
    expect(mailC!.text).toContain("For your next order: a hand-written note and early access to the spring collection.");
    expect(mailC!.subject).toContain("a hand-written note");
    expect(mailC!.text).not.toContain(c.discountCode);
    expect(mailC!.text).not.toMatch(/Code:|\/discount\//);
    expect(mailC!.html).toContain(PERK);

    // Reactivation is measured for every arm, the perk arm included.
    const page = await loadCampaignPage(h.deps, SHOP, campaignId);
    expect(page.experiment!.arms.map((x) => x.label)).toEqual(["15% off", "Free shipping", PERK]);
    expect(page.experiment!.result.arms.map((x) => x.key)).toEqual(["A", "B", "C"]);
    for (const x of page.experiment!.result.arms) expect(x.n).toBeGreaterThan(0);
  }, 600_000);

  it("a userError of the free-shipping create stops the launch and is shown on the campaign", async () => {
    await clearCampaigns(h.db);
    const campaignId = "experiment-arms-taken";
    // The merchant already has the free-shipping arm's code under another title: Shopify answers TAKEN.
    const client = await h.deps.client(SHOP);
    const taken = await createBasicCodeDiscount(client, {
      title: "The merchant's own code",
      code: armDiscountCode(campaignId, "B"),
      startsAt: new Date().toISOString(),
      context: { all: "ALL" },
      customerGets: { value: { percentage: 0.05 }, items: { all: true } },
      appliesOncePerCustomer: false,
      combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: false },
    });
    expect(taken.ok).toBe(true);
    const before = inspector(h).mutations("discountCodeFreeShippingCreate").length;
    await requestLaunch(h.deps, { shop: SHOP, launchKey: campaignId, name: "Arms taken", settings: {}, experiment: { arms } });
    await h.runDue({ queues: ["campaign.launch"] });
    const c = await campaignRow(h.db, campaignId);
    expect(c.status).toBe("launching");
    expect(c.launchError).toMatch(/discountCodeFreeShippingCreate/);
    expect(c.launchError).toMatch(/Code must be unique/);
    expect(inspector(h).mutations("discountCodeFreeShippingCreate").length).toBe(before + 1);
    // The percent arm's code exists and is recorded; the free-shipping arm is not.
    expect(Object.keys(c.launchSteps.discount?.arms ?? {})).toEqual(["A"]);
    const page = await loadCampaignPage(h.deps, SHOP, campaignId);
    expect(page.campaign.launchError).toMatch(/Code must be unique/);
  }, 600_000);

  it("refuses a free-shipping arm in a campaign whose offer is limited to products, before anything is stored", async () => {
    const err = await requestLaunch(h.deps, {
      shop: SHOP,
      launchKey: "experiment-arms-items",
      name: "Items",
      settings: { discount: { appliesTo: { kind: "products", products: [{ id: "gid://shopify/Product/1", title: "Mug" }] } } },
      experiment: { arms },
    }).catch((e) => e);
    expect(isAppError(err, "INVALID_INPUT")).toBe(true);
    expect(String(err.message)).toMatch(/B \(Free shipping\) cannot be limited to products/);
    expect(await campaignRow(h.db, "experiment-arms-items")).toBeUndefined();
  });
});

describe("free-shipping and perk wording in every customer language", () => {
  const ctx = { shopName: "Emulated Shop", currencyCode: "EUR", timeZone: "Europe/Berlin" };
  const base = {
    template: "winback_standard" as const,
    stage: "first" as const,
    firstName: "Alex",
    endsAt: "2026-12-20T22:59:00Z",
    link: "https://shop.test/discount/COMEBACK-1-B",
  };
  it.each([
    ["en", "Free shipping on your next order until December 20, 2026"],
    ["fr", "Livraison offerte sur votre prochaine commande jusqu'au 20 décembre 2026"],
    ["de", "Kostenloser Versand für Ihre nächste Bestellung bis 20. Dezember 2026"],
    ["es", "Envío gratis en tu próximo pedido hasta el 20 de diciembre de 2026"],
  ] as const)("%s: a free-shipping arm says so, with the code", (locale, line) => {
    const m = composeEmail({ ...base, discount: { freeShipping: true }, code: "COMEBACK-1-B" }, { ...ctx, locale });
    expect(m.text).toContain(line);
    expect(m.text).toContain("COMEBACK-1-B");
  });

  it("the plan form's free-shipping and perk rows parse into those arms; an empty perk is named", () => {
    const field = armsToField(true, [
      { kind: "percentage", value: "15", subject: "" },
      { kind: "free_shipping", value: "", subject: "" },
      { kind: "perk", value: "", subject: "", text: " Early access " },
    ]);
    expect(parseExperiment(JSON.parse(field)).arms.map((a) => a.offer)).toEqual([
      { kind: "percentage", value: 15 },
      { kind: "free_shipping" },
      { kind: "perk", text: "Early access" },
    ]);
    const empty = armsToField(true, [
      { kind: "percentage", value: "15", subject: "" },
      { kind: "perk", value: "", subject: "" },
    ]);
    expect(() => parseExperiment(JSON.parse(empty))).toThrow(/arms\.1\.offer\.text/);
  });

  it("a perk arm states the perk and no code; a price email without a code is refused", () => {
    const m = composeEmail(
      { ...base, discount: { perk: "Early access" }, code: null, link: "https://shop.test/" },
      { ...ctx, locale: "en" },
    );
    expect(m.text).toContain("Early access");
    expect(m.subject).toContain("early access");
    expect(m.text).not.toContain("Code:");
    expect(() => composeEmail({ ...base, discount: { percent: 10 }, code: null }, { ...ctx, locale: "en" })).toThrow(/needs a code/);
  });
});
