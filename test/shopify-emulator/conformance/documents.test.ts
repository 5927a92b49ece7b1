// Conformance: every Admin API document the app sends (app/shopify/documents/*, one file per API
// area like the adapters that send them: app/shopify/orders.ts, customers.ts …), sent as the app
// sends it, answered by the emulator the way Shopify answers it. Each case names its source:
//   REC = live recording in github.com/airhorns/shopify-draft-proxy,
//         fixtures/conformance/harry-test-heelo.myshopify.com/<version>/<path>
//   DEV = shopify.dev page;  CLI = github.com/Shopify/cli source.
// The documents are imported, not copied, so this suite breaks when the app changes one; the first
// test fails when a new document is added without a case here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as bulkDocs from "../../../app/shopify/documents/bulk";
import * as customerDocs from "../../../app/shopify/documents/customers";
import * as discountDocs from "../../../app/shopify/documents/discounts";
import * as flowDocs from "../../../app/shopify/documents/flow";
import * as marketingDocs from "../../../app/shopify/documents/marketing";
import * as metafieldDocs from "../../../app/shopify/documents/metafields";
import * as orderDocs from "../../../app/shopify/documents/orders";
import * as segmentDocs from "../../../app/shopify/documents/segments";
import * as shopDocs from "../../../app/shopify/documents/shop";
import { pointsExpiringPayload, winbackTouchPayload } from "../../../app/messaging/flow";
import type { Emulator } from "../index";
import { SHOP, gql, start, type FakeClock } from "../helpers";

const { BULK_RUN_QUERY, BULK_OPERATION_QUERY, BULK_CANCEL, STAGED_UPLOADS_CREATE, BULK_RUN_MUTATION, bulkQueryText } = bulkDocs;
const { CUSTOMERS_BULK_QUERY, TAGS_ADD, TAGS_ADD_BULK_LINE } = customerDocs;
const { SEGMENT_CREATE, SEGMENTS_BY_TAG } = segmentDocs;
const { CODE_DISCOUNT_BY_CODE, DISCOUNT_CODE_BASIC_CREATE, DISCOUNT_CODE_DEACTIVATE, DISCOUNT_CODE_FREE_SHIPPING_CREATE } = discountDocs;
const { CUSTOMER_EMAIL_CONSENT_UPDATE, MARKETING_ACTIVITY_UPSERT_EXTERNAL, MARKETING_ENGAGEMENT_CREATE } = marketingDocs;
const { FLOW_TRIGGER_RECEIVE } = flowDocs;
const { ORDERS_BULK_QUERY } = orderDocs;
const { METAFIELD_DEFINITION_CREATE, SHOP_METAFIELD_QUERY, METAFIELDS_SET, METAFIELDS_DELETE, METAFIELDS_SET_BULK_LINE } = metafieldDocs;
const { SHOP_OVERVIEW_QUERY, SHOP_EMAIL_IDENTITY_QUERY } = shopDocs;

/** Every document constant this suite sends (checked against the modules' exports). */
const COVERED = new Set([
  "BULK_RUN_QUERY",
  "BULK_OPERATION_QUERY",
  "BULK_CANCEL",
  "STAGED_UPLOADS_CREATE",
  "BULK_RUN_MUTATION",
  "TAGS_ADD",
  "TAGS_ADD_BULK_LINE",
  "SEGMENT_CREATE",
  "SEGMENTS_BY_TAG",
  "CODE_DISCOUNT_BY_CODE",
  "DISCOUNT_CODE_BASIC_CREATE",
  "DISCOUNT_CODE_DEACTIVATE",
  "DISCOUNT_CODE_FREE_SHIPPING_CREATE",
  "CUSTOMER_EMAIL_CONSENT_UPDATE",
  "MARKETING_ACTIVITY_UPSERT_EXTERNAL",
  "MARKETING_ENGAGEMENT_CREATE",
  "FLOW_TRIGGER_RECEIVE",
  "ORDERS_BULK_QUERY",
  "CUSTOMERS_BULK_QUERY",
  "METAFIELD_DEFINITION_CREATE",
  "SHOP_METAFIELD_QUERY",
  "METAFIELDS_SET",
  "METAFIELDS_DELETE",
  "METAFIELDS_SET_BULK_LINE",
  "SHOP_OVERVIEW_QUERY",
  "SHOP_EMAIL_IDENTITY_QUERY",
]);

const DAY = 86_400_000;

async function until<T>(clock: FakeClock, f: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 500; i++) {
    clock.advance(1000);
    const v = await f();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("condition not reached");
}

describe("conformance: the app's Admin API documents against the emulator", () => {
  let emu: Emulator;
  let clock: FakeClock;
  let token: string;
  const send = async (doc: string, variables?: Record<string, unknown>) => (await gql(emu, token, doc, variables)).body;
  const customer = (i: number) => emu.shop(SHOP).customerView(i).id;
  const withEmail = () => {
    const cs = emu.shop(SHOP).data.customers;
    let c = 0;
    while (!cs.email(c)) c++;
    return c;
  };

  beforeAll(async () => {
    ({ emu, clock } = await start({ bulkTiming: { startDelayMs: 5 } }));
    await emu.addShop(SHOP, { seed: 21, customers: 80, years: 2 });
    token = emu.issueAccessToken(SHOP);
  });
  afterAll(async () => {
    await emu.stop();
  });

  async function runBulk(query: string) {
    const started = (await send(BULK_RUN_QUERY, { query, groupObjects: false })).data.bulkOperationRunQuery;
    expect(started.userErrors).toEqual([]);
    return until(
      clock,
      async () => (await send(BULK_OPERATION_QUERY, { id: started.bulkOperation.id })).data.bulkOperation,
      (op) => !["CREATED", "RUNNING"].includes(op.status),
    );
  }
  async function stage(lines: unknown[]) {
    const target = (
      await send(STAGED_UPLOADS_CREATE, {
        input: [{ resource: "BULK_MUTATION_VARIABLES", filename: "vars.jsonl", mimeType: "text/jsonl", httpMethod: "POST" }],
      })
    ).data.stagedUploadsCreate;
    expect(target.userErrors).toEqual([]);
    const t = target.stagedTargets[0];
    const form = new FormData();
    for (const p of t.parameters) form.append(p.name, p.value);
    form.append("file", new Blob([lines.map((l) => JSON.stringify(l)).join("\n")]), "vars.jsonl");
    expect((await fetch(t.url, { method: "POST", body: form })).status).toBe(201);
    return t.parameters.find((p: { name: string }) => p.name === "key").value as string;
  }

  it("covers every document the app exports", () => {
    const exported = [
      bulkDocs,
      customerDocs,
      discountDocs,
      flowDocs,
      marketingDocs,
      metafieldDocs,
      orderDocs,
      segmentDocs,
      shopDocs,
    ].flatMap((m) =>
      Object.entries(m)
        .filter(([, v]) => typeof v === "string")
        .map(([k]) => k),
    );
    expect(exported.filter((k) => !COVERED.has(k))).toEqual([]);
  });

  // DEV admin-graphql Shop / ordersCount / customersCount: limit null counts exactly.
  it("SHOP_OVERVIEW_QUERY: shop facts and exact counts", async () => {
    const body = await send(SHOP_OVERVIEW_QUERY);
    expect(body.errors).toBeUndefined();
    expect(body.data.shop).toMatchObject({ myshopifyDomain: SHOP, currencyCode: expect.any(String), ianaTimezone: expect.any(String) });
    expect(body.data.ordersCount).toEqual({ count: emu.shop(SHOP).orderCount(), precision: "EXACT" });
    expect(body.data.customersCount).toEqual({ count: emu.shop(SHOP).customerCount(), precision: "EXACT" });
  });

  // DEV admin-graphql Shop.contactEmail, Shop.shopAddress (non-null ShopAddress "as it will appear to
  // buyers"; a shop without an address answers null fields); no recording reads them.
  it("SHOP_EMAIL_IDENTITY_QUERY: name, contact email and the buyer-facing address", async () => {
    const body = await send(SHOP_EMAIL_IDENTITY_QUERY);
    expect(body.errors).toBeUndefined();
    expect(body.data.shop).toMatchObject({ name: expect.any(String), contactEmail: expect.stringContaining("@") });
    expect(Object.keys(body.data.shop.shopAddress).sort()).toEqual([
      "address1",
      "address2",
      "city",
      "company",
      "country",
      "province",
      "zip",
    ]);
  });

  // REC 2026-04/bulk-operations/bulk-operation-run-query-concurrency-limit.json (CREATED shape) and
  // bulk-operation-status-catalog-cancel.json (COMPLETED: url, fileSize, completedAt set).
  it("BULK_RUN_QUERY + BULK_OPERATION_QUERY: ORDERS_BULK_QUERY and CUSTOMERS_BULK_QUERY run to COMPLETED with edges > node JSONL", async () => {
    for (const doc of [ORDERS_BULK_QUERY, CUSTOMERS_BULK_QUERY]) {
      const op = await runBulk(bulkQueryText(doc, null));
      expect(op).toMatchObject({ status: "COMPLETED", errorCode: null, url: expect.stringContaining("http"), partialDataUrl: null });
      expect(op.completedAt).not.toBeNull();
      const lines = (await (await fetch(op.url)).text())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines.length).toBe(Number(op.objectCount));
    }
    const filtered = await runBulk(bulkQueryText(ORDERS_BULK_QUERY, `updated_at:>'${new Date(clock.ms - 30 * DAY).toISOString()}'`));
    expect(filtered.status).toBe("COMPLETED");
  });

  // REC 2026-04/bulk-operations/bulk-operation-run-query-validators.json: `nodes` instead of edges > node.
  it("BULK_RUN_QUERY: a query selecting `nodes` is INVALID (the app's documents use edges > node)", async () => {
    const viaNodes = bulkQueryText(CUSTOMERS_BULK_QUERY, null)
      .replace(/edges\s*\{\s*node\s*\{/, "nodes {")
      .replace(/\}\s*\}\s*\}\s*\}\s*$/, "} } }");
    const r = (await send(BULK_RUN_QUERY, { query: viaNodes, groupObjects: false })).data.bulkOperationRunQuery;
    expect(r).toEqual({
      bulkOperation: null,
      userErrors: [
        {
          field: ["query"],
          code: "INVALID",
          message:
            "All connection fields in a bulk query must select their contents using 'edges' > 'node', e.g: 'customers { edges { node {'. Selecting via 'nodes' is not supported. Invalid connection fields: 'customers'.",
        },
      ],
    });
  });

  // REC 2026-04/bulk-operations/bulk-operation-status-catalog-cancel.json: canceling a finished operation.
  it("BULK_CANCEL: a completed operation cannot be canceled", async () => {
    const op = await runBulk(bulkQueryText(CUSTOMERS_BULK_QUERY, null));
    const r = (await send(BULK_CANCEL, { id: op.id })).data.bulkOperationCancel;
    expect(r.userErrors).toEqual([{ field: null, message: "A bulk operation cannot be canceled when it is completed" }]);
  });

  // REC 2026-04/bulk-operations/bulk-operation-run-mutation-created-status.json (CREATED, type MUTATION),
  // bulk-operation-run-mutation-client-identifier-validation.json (10..255 characters).
  it("STAGED_UPLOADS_CREATE + BULK_RUN_MUTATION: TAGS_ADD_BULK_LINE and METAFIELDS_SET_BULK_LINE run line by line", async () => {
    const key = await stage([0, 1, 2].map((i) => ({ id: customer(i), tags: ["conf-bulk"] })));
    const short = (await send(BULK_RUN_MUTATION, { mutation: TAGS_ADD_BULK_LINE, stagedUploadPath: key, clientIdentifier: "abc" })).data
      .bulkOperationRunMutation;
    expect(short).toEqual({
      bulkOperation: null,
      userErrors: [{ field: ["clientIdentifier"], message: "is too short (minimum is 10 characters)", code: "INVALID_MUTATION" }],
    });
    const long = (await send(BULK_RUN_MUTATION, { mutation: TAGS_ADD_BULK_LINE, stagedUploadPath: key, clientIdentifier: "x".repeat(256) }))
      .data.bulkOperationRunMutation;
    expect(long.userErrors).toEqual([
      { field: ["clientIdentifier"], message: "is too long (maximum is 255 characters)", code: "INVALID_MUTATION" },
    ]);
    const r = (
      await send(BULK_RUN_MUTATION, {
        mutation: TAGS_ADD_BULK_LINE,
        stagedUploadPath: key,
        clientIdentifier: "winback-campaign-tags:conformance",
      })
    ).data.bulkOperationRunMutation;
    expect(r).toMatchObject({ bulkOperation: { status: "CREATED" }, userErrors: [] });
    const done = await until(
      clock,
      async () => (await send(BULK_OPERATION_QUERY, { id: r.bulkOperation.id })).data.bulkOperation,
      (op) => op.status === "COMPLETED",
    );
    const lines = (await (await fetch(done.url)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.__lineNumber)).toEqual([0, 1, 2]);
    expect(lines.every((l) => l.data.tagsAdd.userErrors.length === 0)).toBe(true);

    const owner = customer(3);
    const mkey = await stage([
      { metafields: [{ ownerId: owner, namespace: "$app:loyalty", key: "points_balance", type: "number_integer", value: "40" }] },
    ]);
    const m = (
      await send(BULK_RUN_MUTATION, {
        mutation: METAFIELDS_SET_BULK_LINE,
        stagedUploadPath: mkey,
        clientIdentifier: `winback-loyalty:${SHOP}`,
      })
    ).data.bulkOperationRunMutation;
    const mdone = await until(
      clock,
      async () => (await send(BULK_OPERATION_QUERY, { id: m.bulkOperation.id })).data.bulkOperation,
      (op) => op.status === "COMPLETED",
    );
    const mline = JSON.parse((await (await fetch(mdone.url)).text()).trim());
    expect(mline.data.metafieldsSet).toEqual({ metafields: [{ key: "points_balance" }], userErrors: [] });
  });

  // REC 2025-01/products/tags-add-parity.json (node + userErrors shape); unknown customer is a userError.
  it("TAGS_ADD: tags a customer; an unknown customer is a userError", async () => {
    const ok = (await send(TAGS_ADD, { id: customer(5), tags: ["conf-tag"] })).data.tagsAdd;
    expect(ok).toEqual({ node: { id: customer(5) }, userErrors: [] });
    const bad = (await send(TAGS_ADD, { id: "gid://shopify/Customer/1", tags: ["conf-tag"] })).data.tagsAdd;
    expect(bad.node).toBeNull();
    expect(bad.userErrors.length).toBe(1);
  });

  // REC 2025-01/segments/segment-create-update-query-grammar.json, segment-name-suffix-and-limit.json.
  it("SEGMENT_CREATE + SEGMENTS_BY_TAG: a tag segment is created and found by name", async () => {
    const r = (await send(SEGMENT_CREATE, { name: "Winback conf-tag", query: "customer_tags CONTAINS 'conf-tag'" })).data.segmentCreate;
    expect(r).toMatchObject({ segment: { name: "Winback conf-tag", query: "customer_tags CONTAINS 'conf-tag'" }, userErrors: [] });
    const again = (await send(SEGMENT_CREATE, { name: "Winback conf-tag", query: "customer_tags CONTAINS 'conf-tag'" })).data.segmentCreate;
    expect(again.segment.name).toBe("Winback conf-tag (2)");
    const bad = (await send(SEGMENT_CREATE, { name: "x", query: "nonsense here" })).data.segmentCreate;
    expect(bad.segment).toBeNull();
    expect(bad.userErrors[0]).toMatchObject({ field: ["query"], message: expect.stringMatching(/^Query Line 1 Column \d+/) });
    const found = (await send(SEGMENTS_BY_TAG, { query: "conf-tag" })).data.segments.nodes;
    expect(found.map((s: { name: string }) => s.name)).toEqual(["Winback conf-tag", "Winback conf-tag (2)"]);
  });

  // DEV admin-graphql discountCodeBasicCreate / codeDiscountNodeByCode (ADR 021 lists the recordings).
  it("DISCOUNT_CODE_BASIC_CREATE + CODE_DISCOUNT_BY_CODE: a campaign's segment code and a points reward's one-customer code", async () => {
    expect((await send(CODE_DISCOUNT_BY_CODE, { code: "CONF-1" })).data.codeDiscountNodeByCode).toBeNull();
    const seg = (await send(SEGMENT_CREATE, { name: "conf discount", query: "customer_tags CONTAINS 'conf-tag'" })).data.segmentCreate
      .segment.id;
    const input = {
      title: "Winback conf",
      code: "CONF-1",
      startsAt: new Date(clock.ms).toISOString(),
      endsAt: new Date(clock.ms + 14 * DAY).toISOString(),
      context: { customerSegments: { add: [seg] } },
      customerGets: { value: { percentage: 0.15 }, items: { all: true } },
      appliesOncePerCustomer: true,
      combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: true },
    };
    const r = (await send(DISCOUNT_CODE_BASIC_CREATE, { basicCodeDiscount: input })).data.discountCodeBasicCreate;
    expect(r.userErrors).toEqual([]);
    const byCode = (await send(CODE_DISCOUNT_BY_CODE, { code: "CONF-1" })).data.codeDiscountNodeByCode;
    expect(byCode).toMatchObject({ id: r.codeDiscountNode.id, codeDiscount: { __typename: "DiscountCodeBasic", title: "Winback conf" } });
    const dup = (await send(DISCOUNT_CODE_BASIC_CREATE, { basicCodeDiscount: input })).data.discountCodeBasicCreate;
    expect(dup.codeDiscountNode).toBeNull();
    expect(dup.userErrors[0]).toMatchObject({ code: "TAKEN" });

    const points = (
      await send(DISCOUNT_CODE_BASIC_CREATE, {
        basicCodeDiscount: {
          title: "Points reward CONF-P (100 points)",
          code: "CONF-P",
          startsAt: new Date(clock.ms).toISOString(),
          context: { customers: { add: [customer(6)] } },
          customerGets: { value: { discountAmount: { amount: "5.00", appliesOnEachItem: false } }, items: { all: true } },
          usageLimit: 1,
          appliesOncePerCustomer: true,
          combinesWith: { orderDiscounts: false, productDiscounts: true, shippingDiscounts: true },
        },
      })
    ).data.discountCodeBasicCreate;
    expect(points.userErrors).toEqual([]);
    expect((await send(CODE_DISCOUNT_BY_CODE, { code: "CONF-P" })).data.codeDiscountNodeByCode).toMatchObject({
      id: points.codeDiscountNode.id,
      codeDiscount: { __typename: "DiscountCodeBasic", title: "Points reward CONF-P (100 points)" },
    });
  });

  // REC 2026-04/discounts/discount-free-shipping-lifecycle.json (codeCreate: DiscountCodeFreeShippingInput
  // with context, minimumRequirement, destination { all: true }, appliesOncePerCustomer, usageLimit;
  // the node is a DiscountCodeFreeShipping of class SHIPPING; codeDeactivate: EXPIRED, endsAt now).
  it("DISCOUNT_CODE_FREE_SHIPPING_CREATE: an experiment's free-shipping arm code, limited to its segment, found by code and ended like a basic code", async () => {
    const seg = (await send(SEGMENT_CREATE, { name: "conf free shipping", query: "customer_tags CONTAINS 'conf-ship'" })).data.segmentCreate
      .segment.id;
    const input = {
      title: "Winback conf – offer B [conf]",
      code: "CONF-SHIP-B",
      startsAt: new Date(clock.ms).toISOString(),
      endsAt: new Date(clock.ms + 14 * DAY).toISOString(),
      context: { customerSegments: { add: [seg] } },
      minimumRequirement: { subtotal: { greaterThanOrEqualToSubtotal: "10.00" } },
      destination: { all: true },
      appliesOncePerCustomer: true,
      combinesWith: { orderDiscounts: false, productDiscounts: true, shippingDiscounts: false },
    };
    const r = (await send(DISCOUNT_CODE_FREE_SHIPPING_CREATE, { freeShippingCodeDiscount: input })).data.discountCodeFreeShippingCreate;
    expect(r.userErrors).toEqual([]);
    const byCode = (await send(CODE_DISCOUNT_BY_CODE, { code: "CONF-SHIP-B" })).data.codeDiscountNodeByCode;
    expect(byCode).toMatchObject({
      id: r.codeDiscountNode.id,
      codeDiscount: { __typename: "DiscountCodeFreeShipping", title: input.title },
    });
    expect(Date.parse(byCode.codeDiscount.endsAt)).toBe(Date.parse(input.endsAt));
    // Validation is the basic code's, on the free-shipping argument's path: a taken code, a segment that does not exist.
    const dup = (await send(DISCOUNT_CODE_FREE_SHIPPING_CREATE, { freeShippingCodeDiscount: input })).data.discountCodeFreeShippingCreate;
    expect(dup.codeDiscountNode).toBeNull();
    expect(dup.userErrors[0]).toMatchObject({ field: ["freeShippingCodeDiscount", "code"], code: "TAKEN" });
    const badSeg = (
      await send(DISCOUNT_CODE_FREE_SHIPPING_CREATE, {
        freeShippingCodeDiscount: { ...input, code: "CONF-SHIP-X", context: { customerSegments: { add: ["gid://shopify/Segment/1"] } } },
      })
    ).data.discountCodeFreeShippingCreate;
    expect(badSeg.userErrors[0]).toMatchObject({
      field: ["freeShippingCodeDiscount", "context", "customerSegments", "add"],
      code: "INVALID",
    });
    const off = (await send(DISCOUNT_CODE_DEACTIVATE, { id: r.codeDiscountNode.id })).data.discountCodeDeactivate;
    expect(off.userErrors).toEqual([]);
    expect(Date.parse(off.codeDiscountNode.codeDiscount.endsAt)).toBeLessThanOrEqual(clock.ms);
  });

  // REC 2026-04/discounts/discount-code-basic-lifecycle.json (deactivate: same node, status EXPIRED,
  // endsAt moved to the moment of the call; readAfterDeactivate still finds it by code).
  it("DISCOUNT_CODE_DEACTIVATE: a stopped campaign's code ends now and stays findable", async () => {
    const input = {
      title: "Winback stop",
      code: "CONF-STOP",
      startsAt: new Date(clock.ms - DAY).toISOString(),
      endsAt: new Date(clock.ms + 14 * DAY).toISOString(),
      context: { all: "ALL" },
      customerGets: { value: { percentage: 0.1 }, items: { all: true } },
      appliesOncePerCustomer: true,
      combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: true },
    };
    const id = (await send(DISCOUNT_CODE_BASIC_CREATE, { basicCodeDiscount: input })).data.discountCodeBasicCreate.codeDiscountNode.id;
    const r = (await send(DISCOUNT_CODE_DEACTIVATE, { id })).data.discountCodeDeactivate;
    expect(r.userErrors).toEqual([]);
    expect(r.codeDiscountNode.id).toBe(id);
    expect(Date.parse(r.codeDiscountNode.codeDiscount.endsAt)).toBeLessThanOrEqual(clock.ms);
    expect((await send(CODE_DISCOUNT_BY_CODE, { code: "CONF-STOP" })).data.codeDiscountNodeByCode).toMatchObject({
      id,
      codeDiscount: { endsAt: r.codeDiscountNode.codeDiscount.endsAt },
    });
  });

  // REC 2026-04/customers/customer-email-marketing-consent-update-parity.json: success shape, the
  // MISSING_ARGUMENT branch (no level: nothing changes), pending needs CONFIRMED_OPT_IN, unknown customer.
  it("CUSTOMER_EMAIL_CONSENT_UPDATE: carries a level; without one Shopify refuses and changes nothing", async () => {
    const c = withEmail();
    const id = customer(c);
    const email = emu.shop(SHOP).customerView(c).email;
    const ok = (
      await send(CUSTOMER_EMAIL_CONSENT_UPDATE, {
        input: {
          customerId: id,
          emailMarketingConsent: {
            marketingState: "UNSUBSCRIBED",
            marketingOptInLevel: "SINGLE_OPT_IN",
            consentUpdatedAt: new Date(clock.ms - 1000).toISOString().slice(0, 19) + "Z",
          },
        },
      })
    ).data.customerEmailMarketingConsentUpdate;
    expect(ok).toMatchObject({
      customer: { id, defaultEmailAddress: { emailAddress: email, marketingState: "UNSUBSCRIBED" } },
      userErrors: [],
    });
    const missing = (
      await send(CUSTOMER_EMAIL_CONSENT_UPDATE, { input: { customerId: id, emailMarketingConsent: { marketingState: "SUBSCRIBED" } } })
    ).data.customerEmailMarketingConsentUpdate;
    expect(missing.userErrors).toEqual([
      {
        field: ["input", "emailMarketingConsent", "marketingOptInLevel"],
        message: "Marketing opt in level must exist",
        code: "MISSING_ARGUMENT",
      },
    ]);
    expect(missing.customer.defaultEmailAddress.marketingState).toBe("UNSUBSCRIBED");
    const pending = (
      await send(CUSTOMER_EMAIL_CONSENT_UPDATE, {
        input: { customerId: id, emailMarketingConsent: { marketingState: "PENDING", marketingOptInLevel: "SINGLE_OPT_IN" } },
      })
    ).data.customerEmailMarketingConsentUpdate;
    expect(pending.userErrors).toEqual([
      {
        field: ["input", "emailMarketingConsent", "marketingOptInLevel"],
        message: "Marketing opt in level must be confirmed opt-in for pending consent state",
        code: "INVALID",
      },
    ]);
    const unknown = (
      await send(CUSTOMER_EMAIL_CONSENT_UPDATE, {
        input: {
          customerId: "gid://shopify/Customer/999999999999999",
          emailMarketingConsent: { marketingState: "SUBSCRIBED", marketingOptInLevel: "SINGLE_OPT_IN" },
        },
      })
    ).data.customerEmailMarketingConsentUpdate;
    expect(unknown).toEqual({
      customer: null,
      userErrors: [{ field: ["input", "customerId"], message: "Customer not found", code: "INVALID" }],
    });
  });

  // REC 2026-04/marketing/: marketing-activity-create-external-default-status.json (status labels),
  // marketing-external-activity-url-scheme-validation.json (http/https only, a top-level error with
  // data null), marketing-engagement-lifecycle.json (identifier userErrors, same-day write replaces),
  // marketing-engagement-currency-validation.json (currency userErrors). The recordings used
  // marketingActivityCreateExternal; the app upserts (same input plus a required status, recorded as
  // INVALID_VARIABLE when missing), so the upsert's create branch is held to the create's answers.
  it("MARKETING_ACTIVITY_UPSERT_EXTERNAL + MARKETING_ENGAGEMENT_CREATE: one activity per remoteId, cumulative engagement per day", async () => {
    const input = {
      title: "Winback: Spring [c1]",
      remoteId: "winback-campaign-c1",
      remoteUrl: `https://${SHOP}/admin/apps/key/app/campaigns/c1`,
      status: "ACTIVE",
      tactic: "NEWSLETTER",
      marketingChannelType: "EMAIL",
      utm: { campaign: "winback-c1", source: "winback", medium: "email" },
    };
    const created = (await send(MARKETING_ACTIVITY_UPSERT_EXTERNAL, { input })).data.marketingActivityUpsertExternal;
    expect(created.userErrors).toEqual([]);
    expect(created.marketingActivity).toMatchObject({ title: input.title, status: "ACTIVE", marketingEvent: { remoteId: input.remoteId } });
    const again = (await send(MARKETING_ACTIVITY_UPSERT_EXTERNAL, { input: { ...input, status: "INACTIVE" } })).data
      .marketingActivityUpsertExternal;
    expect(again.marketingActivity.id).toBe(created.marketingActivity.id);
    expect(again.marketingActivity.status).toBe("INACTIVE");
    const utmChanged = (await send(MARKETING_ACTIVITY_UPSERT_EXTERNAL, { input: { ...input, utm: { ...input.utm, campaign: "other" } } }))
      .data.marketingActivityUpsertExternal;
    expect(utmChanged).toEqual({
      marketingActivity: null,
      userErrors: [{ field: ["input"], message: "UTM parameters cannot be modified.", code: "IMMUTABLE_UTM_PARAMETERS" }],
    });
    const ftp = await send(MARKETING_ACTIVITY_UPSERT_EXTERNAL, { input: { ...input, remoteId: "x2", remoteUrl: "ftp://example.com/x" } });
    expect(ftp.data.marketingActivityUpsertExternal).toBeNull();
    expect(ftp.errors[0]).toMatchObject({
      message: "The URL scheme must be one of the following: https,http",
      extensions: { code: "INVALID_FIELD_ARGUMENTS" },
    });
    const { utm: _utm, ...noUtm } = input;
    const unattributed = (await send(MARKETING_ACTIVITY_UPSERT_EXTERNAL, { input: { ...noUtm, remoteId: "x3" } })).data
      .marketingActivityUpsertExternal;
    expect(unattributed.userErrors[0].code).toBe("NON_HIERARCHIAL_REQUIRES_UTM_URL_PARAMETER");

    const engagement = { occurredOn: "2026-11-02", utcOffset: "+00:00", sendsCount: 40, unsubscribesCount: 1, complaintsCount: 0 };
    const first = (
      await send(MARKETING_ENGAGEMENT_CREATE, {
        remoteId: input.remoteId,
        engagement: { ...engagement, isCumulative: true, orders: "3", sales: { amount: "120.50", currencyCode: "USD" } },
      })
    ).data.marketingEngagementCreate;
    expect(first.userErrors).toEqual([]);
    expect(first.marketingEngagement).toMatchObject({ occurredOn: "2026-11-02", isCumulative: true, sendsCount: 40, orders: "3.0" });
    const replaced = (
      await send(MARKETING_ENGAGEMENT_CREATE, {
        remoteId: input.remoteId,
        engagement: { ...engagement, isCumulative: true, sendsCount: 41 },
      })
    ).data.marketingEngagementCreate;
    expect(replaced.marketingEngagement.sendsCount).toBe(41);
    expect(emu.shop(SHOP).store("marketingEngagements", () => [] as unknown[]).length).toBe(1);
    const missing = (await send(MARKETING_ENGAGEMENT_CREATE, { remoteId: "nope", engagement })).data.marketingEngagementCreate;
    expect(missing).toEqual({
      marketingEngagement: null,
      userErrors: [{ field: null, message: "Marketing activity does not exist.", code: "MARKETING_ACTIVITY_DOES_NOT_EXIST" }],
    });
    const mixed = (
      await send(MARKETING_ENGAGEMENT_CREATE, {
        remoteId: input.remoteId,
        engagement: { ...engagement, adSpend: { amount: "1.00", currencyCode: "USD" }, sales: { amount: "2.00", currencyCode: "EUR" } },
      })
    ).data.marketingEngagementCreate;
    expect(mixed.userErrors).toEqual([
      {
        field: ["marketingEngagement"],
        message: "Currency codes in the marketing engagement input do not match.",
        code: "CURRENCY_CODE_MISMATCH_INPUT",
      },
    ]);
    // The remaining branches, each from the same recordings (lifecycle: validation.*; currency-validation:
    // activityCurrencyMismatchById, channelInputMismatch; url-scheme: invalidCreateRemoteUrlData).
    const ENG = `mutation($id: ID, $remoteId: String, $channel: String, $e: MarketingEngagementInput!) {
      marketingEngagementCreate(marketingActivityId: $id, remoteId: $remoteId, channelHandle: $channel, marketingEngagement: $e) {
        marketingEngagement { occurredOn } userErrors { field message code } } }`;
    const eng = async (v: Record<string, unknown>) => (await send(ENG, { e: engagement, ...v })).data.marketingEngagementCreate;
    expect((await eng({})).userErrors[0].code).toBe("INVALID_MARKETING_ENGAGEMENT_ARGUMENT_MISSING");
    expect((await eng({ id: created.marketingActivity.id, remoteId: input.remoteId })).userErrors[0].code).toBe(
      "INVALID_MARKETING_ENGAGEMENT_ARGUMENTS",
    );
    expect((await eng({ channel: "shopify_email" })).userErrors).toEqual([
      {
        field: ["channelHandle"],
        message: "The channel handle is not recognized. Please contact your partner manager for more information.",
        code: "INVALID_CHANNEL_HANDLE",
      },
    ]);
    const budgeted = (
      await send(MARKETING_ACTIVITY_UPSERT_EXTERNAL, {
        input: {
          ...input,
          remoteId: "budget-usd",
          utm: { campaign: "budget-usd", source: "winback", medium: "email" },
          budget: { budgetType: "DAILY", total: { amount: "100.00", currencyCode: "USD" } },
        },
      })
    ).data.marketingActivityUpsertExternal;
    expect(budgeted.userErrors).toEqual([]);
    const eur = await eng({ id: budgeted.marketingActivity.id, e: { ...engagement, sales: { amount: "30.00", currencyCode: "EUR" } } });
    expect(eur.userErrors).toEqual([
      {
        field: ["marketingEngagement"],
        message: "Marketing activity currency code does not match the currency code in the marketing engagement input.",
        code: "MARKETING_ACTIVITY_CURRENCY_CODE_MISMATCH",
      },
    ]);
    // Sources differ in shape here: Shopify refuses a host-less URL while reading the variables (no
    // `data` at all); the emulator's resolver sees it, so it answers the same code and message with
    // `data.marketingActivityUpsertExternal: null` (docs/shopify-conformance.md).
    const hostless = await send(MARKETING_ACTIVITY_UPSERT_EXTERNAL, {
      input: { ...input, remoteId: "x4", remoteUrl: "data:text/plain,hello" },
    });
    expect(hostless.errors[0]).toMatchObject({
      message: expect.stringContaining("Invalid url 'data:text/plain,hello', missing host"),
      extensions: { code: "INVALID_VARIABLE" },
    });
  });

  // CLI constants.ts/serialize-fields.ts (what deploys, `customer_id` for the reference) + REC
  // 2026-04/admin-platform/admin-platform-flow-trigger-receive-*.json (error grammar, Invalid handle).
  // Against the repo's real extensions/*-trigger tomls: the payloads the app builds must be accepted.
  // Sources disagree in scope only: the recordings never hit a deployed handle, so the wording of a
  // property problem is the recorded grammar applied to the declared fields (flow-extensions.ts).
  it("FLOW_TRIGGER_RECEIVE: the app's own payloads are accepted by the deployed triggers; an unknown handle is refused", async () => {
    const touch = winbackTouchPayload({
      customerId: customer(1),
      campaignId: "c-1",
      branch: "standard",
      touchDay: 3,
      discountCode: "WB-1",
      discountEndsAt: new Date(clock.ms + 7 * DAY),
    });
    const r1 = (await send(FLOW_TRIGGER_RECEIVE, { handle: "winback-touch", payload: touch })).data.flowTriggerReceive;
    expect(r1.userErrors).toEqual([]);
    const expiring = pointsExpiringPayload({
      customerId: customer(2),
      points: 120,
      pointsValue: 6,
      expiresAt: new Date(clock.ms + 14 * DAY),
      basketSuggestion: "Tea",
    });
    const r2 = (await send(FLOW_TRIGGER_RECEIVE, { handle: "points-expiring", payload: expiring })).data.flowTriggerReceive;
    expect(r2.userErrors).toEqual([]);
    const r3 = (await send(FLOW_TRIGGER_RECEIVE, { handle: "missing-flow-trigger-handle", payload: touch })).data.flowTriggerReceive;
    expect(r3.userErrors).toEqual([
      { field: ["body"], message: "Errors validating schema:\n  Invalid handle 'missing-flow-trigger-handle'.\n" },
    ]);
  });

  // REC 2025-01/metafields/metafield-definition-create-input-validation.json (TAKEN on duplicates),
  // 2025-01/metafields/shop-owner-metafields-read-after-write.json, 2025-01/products/metafields-delete-parity.json,
  // 2025-01/products/metafields-set-over-limit-parity.json (26 entries: LESS_THAN_OR_EQUAL_TO userError).
  it("METAFIELD_DEFINITION_CREATE / METAFIELDS_SET / SHOP_METAFIELD_QUERY / METAFIELDS_DELETE", async () => {
    const def = {
      namespace: "$app:loyalty",
      key: "points_balance",
      type: "number_integer",
      name: "Points",
      description: "d",
      ownerType: "CUSTOMER",
      access: { storefront: "PUBLIC_READ" },
    };
    const created = (await send(METAFIELD_DEFINITION_CREATE, { definition: def })).data.metafieldDefinitionCreate;
    expect(created).toMatchObject({ createdDefinition: { key: "points_balance" }, userErrors: [] });
    const taken = (await send(METAFIELD_DEFINITION_CREATE, { definition: def })).data.metafieldDefinitionCreate;
    expect(taken.createdDefinition).toBeNull();
    expect(taken.userErrors[0].code).toBe("TAKEN");

    const shopId = (await send(SHOP_METAFIELD_QUERY, { namespace: "$app:loyalty", key: "reward" })).data.shop.id;
    const set = (
      await send(METAFIELDS_SET, {
        metafields: [
          { ownerId: shopId, namespace: "$app:loyalty", key: "reward", type: "json", value: JSON.stringify({ points: 50, amount: 4 }) },
        ],
      })
    ).data.metafieldsSet;
    expect(set).toEqual({ metafields: [{ key: "reward", value: JSON.stringify({ points: 50, amount: 4 }) }], userErrors: [] });
    expect((await send(SHOP_METAFIELD_QUERY, { namespace: "$app:loyalty", key: "reward" })).data.shop.metafield).toEqual({
      jsonValue: { points: 50, amount: 4 },
    });

    const owner = customer(7);
    const entry = (v: string) => ({ ownerId: owner, namespace: "$app:loyalty", key: "points_balance", type: "number_integer", value: v });
    const over = await send(METAFIELDS_SET, { metafields: Array.from({ length: 26 }, () => entry("1")) });
    expect(over.errors).toBeUndefined();
    expect(over.data.metafieldsSet).toEqual({
      metafields: null,
      userErrors: [
        {
          field: ["metafields"],
          message: "Exceeded the maximum metafields input limit of 25.",
          code: "LESS_THAN_OR_EQUAL_TO",
          elementIndex: null,
        },
      ],
    });
    expect(
      (await send(METAFIELDS_SET, { metafields: Array.from({ length: 25 }, () => entry("2")) })).data.metafieldsSet.userErrors,
    ).toEqual([]);

    const del = (await send(METAFIELDS_DELETE, { metafields: [{ ownerId: owner, namespace: "$app:loyalty", key: "points_balance" }] })).data
      .metafieldsDelete;
    expect(del.userErrors).toEqual([]);
    expect(del.deletedMetafields[0]).toMatchObject({ key: "points_balance", ownerId: owner });
  });
});

// DEV access scopes: "read_all_orders … Without it, only the last 60 days of orders are returned"
// — silently, in orders, ordersCount, Customer.orders and bulk queries. The emulator used to answer
// ACCESS_DENIED on bulk queries reaching older orders.
describe("conformance: without read_all_orders the app sees 60 days of orders, silently", () => {
  let emu: Emulator;
  let clock: FakeClock;
  let token: string;
  beforeAll(async () => {
    ({ emu, clock } = await start({ scopes: "read_orders,read_customers,write_customers", bulkTiming: { startDelayMs: 5 } }));
    await emu.addShop(SHOP, { seed: 22, customers: 60, years: 2 });
    token = emu.issueAccessToken(SHOP);
  });
  afterAll(async () => {
    await emu.stop();
  });

  it("SHOP_OVERVIEW_QUERY, orders, Customer.orders and ORDERS_BULK_QUERY stop at 60 days without an error", async () => {
    const s = emu.shop(SHOP);
    const cutoff = clock.ms - 60 * DAY;
    const recent = Array.from({ length: s.data.orders.length }, (_, i) => i).filter((i) => s.data.orders.processedAt[i]! >= cutoff);
    expect(recent.length).toBeLessThan(s.orderCount());
    const overview = (await gql(emu, token, SHOP_OVERVIEW_QUERY)).body;
    expect(overview.errors).toBeUndefined();
    expect(overview.data.ordersCount).toEqual({ count: recent.length, precision: "EXACT" });
    const c = s.data.orders.customer[recent[0]!]!;
    const nested = (
      await gql(emu, token, `query($id: ID!) { customer(id: $id) { orders(first: 250) { nodes { processedAt } } } }`, {
        id: s.customerView(c).id,
      })
    ).body;
    expect(nested.errors).toBeUndefined();
    expect(nested.data.customer.orders.nodes.length).toBe(
      s.ordersOfCustomer(c).filter((i) => s.data.orders.processedAt[i]! >= cutoff).length,
    );
    const started = (await gql(emu, token, BULK_RUN_QUERY, { query: bulkQueryText(ORDERS_BULK_QUERY, null), groupObjects: false })).body
      .data.bulkOperationRunQuery;
    const op = await until(
      clock,
      async () => (await gql(emu, token, BULK_OPERATION_QUERY, { id: started.bulkOperation.id })).body.data.bulkOperation,
      (o) => !["CREATED", "RUNNING"].includes(o.status),
    );
    expect(op).toMatchObject({ status: "COMPLETED", errorCode: null });
    const roots = (await (await fetch(op.url)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => !l.__parentId);
    expect(roots.length).toBe(recent.length);
  });
});

// DEV "Work with protected customer data": level 1 excludes name, address, phone and email; unapproved
// fields are null with "This app is not approved to access the Customer object…" at the field's path.
// Level 0 (no approval): the Customer object itself is denied; for a bulk query on customers the
// emulator fails the operation ACCESS_DENIED (inferred: bulk files carry no per-field errors).
describe("conformance: protected customer data not approved", () => {
  let emu: Emulator;
  let clock: FakeClock;
  let token: string;
  beforeAll(async () => {
    ({ emu, clock } = await start({ bulkTiming: { startDelayMs: 5 } }));
    await emu.addShop(SHOP, { seed: 23, customers: 40, years: 1 }, { protectedCustomerData: "level1" });
    token = emu.issueAccessToken(SHOP);
  });
  afterAll(async () => {
    await emu.stop();
  });

  it("level 1: CUSTOMERS_BULK_QUERY completes with names, emails and phones redacted; a direct read errors per field", async () => {
    const started = (await gql(emu, token, BULK_RUN_QUERY, { query: bulkQueryText(CUSTOMERS_BULK_QUERY, null), groupObjects: false })).body
      .data.bulkOperationRunQuery;
    const op = await until(
      clock,
      async () => (await gql(emu, token, BULK_OPERATION_QUERY, { id: started.bulkOperation.id })).body.data.bulkOperation,
      (o) => !["CREATED", "RUNNING"].includes(o.status),
    );
    expect(op.status).toBe("COMPLETED");
    const lines = (await (await fetch(op.url)).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(emu.shop(SHOP).customerCount());
    expect(
      lines.every((l) => l.firstName === null && l.lastName === null && l.defaultEmailAddress === null && l.defaultPhoneNumber === null),
    ).toBe(true);
    expect(lines.every((l) => typeof l.id === "string" && Array.isArray(l.tags))).toBe(true);

    const id = emu.shop(SHOP).customerView(0).id;
    const direct = (
      await gql(
        emu,
        token,
        `query($id: ID!) { customer(id: $id) { id tags firstName displayName defaultEmailAddress { emailAddress } } }`,
        { id },
      )
    ).body;
    expect(direct.data.customer).toMatchObject({ id, firstName: null, displayName: "•••", defaultEmailAddress: null });
    expect(direct.errors.map((e: any) => e.path)).toEqual([
      ["customer", "firstName"],
      ["customer", "defaultEmailAddress"],
    ]);
    expect(direct.errors[0]).toMatchObject({
      message: expect.stringMatching(/^This app is not approved to access the Customer object\./),
      extensions: { code: "ACCESS_DENIED" },
    });
  });

  it("level 0: the Customer object is denied; approval (level 2) restores it; the fault endpoint switches it", async () => {
    const res = await fetch(`${emu.url}/__emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ type: "protectedCustomerData", shop: SHOP, access: "none" }),
    });
    expect(res.status).toBe(200);
    const denied = (await gql(emu, token, `{ customers(first: 2) { nodes { id } } }`)).body;
    expect(denied.data).toBeNull(); // customers is non-null in the schema: the null reaches the root
    const viaOrder = (await gql(emu, token, `{ orders(first: 1) { nodes { id customer { id } } } }`)).body;
    expect(viaOrder.data.orders.nodes[0].customer).toBeNull();
    expect(viaOrder.errors[0].path).toEqual(["orders", "nodes", 0, "customer"]);
    expect(denied.errors[0]).toMatchObject({ path: ["customers"], extensions: { code: "ACCESS_DENIED" } });
    const started = (await gql(emu, token, BULK_RUN_QUERY, { query: bulkQueryText(CUSTOMERS_BULK_QUERY, null), groupObjects: false })).body
      .data.bulkOperationRunQuery;
    const op = await until(
      clock,
      async () => (await gql(emu, token, BULK_OPERATION_QUERY, { id: started.bulkOperation.id })).body.data.bulkOperation,
      (o) => !["CREATED", "RUNNING"].includes(o.status),
    );
    expect(op).toMatchObject({ status: "FAILED", errorCode: "ACCESS_DENIED" });
    emu.setProtectedCustomerData(SHOP, "level2");
    const ok = (await gql(emu, token, `{ customers(first: 1) { nodes { firstName } } }`)).body;
    expect(ok.errors).toBeUndefined();
  });
});
