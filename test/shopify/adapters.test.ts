// The Shopify adapters (app/shopify/<area>.ts, ADR 081) against answers recorded from a live store.
// Every recording named below is an entry of test/shopify/fixtures/recordings.json, extracted from
// github.com/airhorns/shopify-draft-proxy fixtures/conformance/harry-test-heelo.myshopify.com/<file>
// (the entry keeps the file and the JSON pointer). Each adapter: parses Shopify's shape, returns a
// refusal as typed userErrors with Shopify's code and message, and rejects a malformed answer with
// a SHOPIFY_GRAPHQL error that names the operation and the path.
import { describe, expect, it } from "vitest";
import { lineMessages, readBulkMutationResults } from "../../app/shopify/bulk/mutations";
import { fetchBulkOperation, runBulkQuery } from "../../app/shopify/bulk/operations";
import { addTags, startCustomersExport } from "../../app/shopify/customers";
import {
  createBasicCodeDiscount,
  deactivateCodeDiscount,
  findCodeDiscount,
  type BasicCodeDiscountInput,
} from "../../app/shopify/discounts";
import { receiveFlowTrigger } from "../../app/shopify/flow";
import { createEngagement, updateEmailMarketingConsent, upsertExternalActivity } from "../../app/shopify/marketing";
import { createMetafieldDefinition, deleteMetafields, readShopMetafield, setMetafields } from "../../app/shopify/metafields";
import { startOrdersExport } from "../../app/shopify/orders";
import { requireOk, userErrorsError } from "../../app/shopify/response";
import { createSegment, searchSegments } from "../../app/shopify/segments";
import { fetchShopEmailIdentity, fetchShopOverview } from "../../app/shopify/shop";
import { appErrorOf, clientAnswering, recorded, recordingSource } from "./support";

const CUSTOMER = "gid://shopify/Customer/10841260523826";

describe("customers.ts", () => {
  // REC 2025-01/products/tags-add-parity.json (tagsAdd on a product: the payload shape is the same for any Taggable).
  it("addTags: the tagged node's id; the tags sent as Shopify takes them", async () => {
    const client = clientAnswering(recorded("tagsAdd.ok"));
    const r = await addTags(client, { id: "gid://shopify/Product/10230769844530", tags: ["hermes-sale"] });
    expect(r).toEqual({ ok: true, value: { id: "gid://shopify/Product/10230769844530" } });
    expect(client.sent[0]!.variables).toEqual({ id: "gid://shopify/Product/10230769844530", tags: ["hermes-sale"] });
    expect(recordingSource("tagsAdd.ok")).toMatch(/tags-add-parity\.json$/);
  });

  it("addTags: a refusal is data (the launch drops that one customer); a payload missing userErrors is a clear error", async () => {
    const refused = await addTags(
      clientAnswering({ tagsAdd: { node: null, userErrors: [{ field: ["id"], message: "Customer does not exist" }] } }),
      { id: CUSTOMER, tags: ["t"] },
    );
    expect(refused).toEqual({
      ok: false,
      userErrors: [{ field: ["id"], message: "Customer does not exist", code: null, elementIndex: null, extraInfo: null }],
    });
    const e = await appErrorOf(() => addTags(clientAnswering({ tagsAdd: { node: { id: CUSTOMER } } }), { id: CUSTOMER, tags: ["t"] }));
    expect(e.code).toBe("SHOPIFY_GRAPHQL");
    expect(e.message).toMatch(/^tagsAdd: Shopify answered in an unexpected shape \(tagsAdd\.userErrors: /);
  });

  // REC 2026-04/bulk-operations/bulk-operation-run-query-concurrency-limit.json (the CREATED operation).
  it("startCustomersExport / startOrdersExport: run the sync's bulk queries, filtered or not, and return the operation id", async () => {
    const client = clientAnswering(recorded("bulkOperationRunQuery.created"), recorded("bulkOperationRunQuery.created"));
    expect(await startCustomersExport(client, "updated_at:>'2026-01-01T00:00:00Z'")).toBe("gid://shopify/BulkOperation/7933223797042");
    expect(await startOrdersExport(client, null)).toBe("gid://shopify/BulkOperation/7933223797042");
    const [customers, orders] = client.sent.map((s) => s.variables as { query: string; groupObjects: boolean });
    expect(customers!.query).toMatch(/^query CustomersBulk \{\s*customers\(query: "updated_at:>'2026-01-01T00:00:00Z'"\)/);
    expect(orders!.query).toMatch(/^query OrdersBulk \{\s*orders \{/);
    expect(orders!.groupObjects).toBe(false);
  });
});

describe("bulk/operations.ts", () => {
  // REC 2026-04/bulk-operations/bulk-operation-run-query-concurrency-limit.json (sixthRun): a wait, not a failure.
  it("the sixth concurrent bulk query (OPERATION_IN_PROGRESS) is THROTTLED with a retry hint and Shopify's message", async () => {
    const e = await appErrorOf(() =>
      runBulkQuery(clientAnswering(recorded("bulkOperationRunQuery.inProgress")), "{ customers { edges { node { id } } } }"),
    );
    expect(e.code).toBe("THROTTLED");
    expect(e.retryAfterMs).toBeGreaterThan(0);
    expect(e.message).toContain(
      "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/7933223797042",
    );
  });

  // REC 2026-04/bulk-operations/bulk-operation-status-catalog-cancel.json (a status poll answering COMPLETED).
  it("fetchBulkOperation: UnsignedInt64 counts arrive as strings and come out as numbers; an unknown status is refused", async () => {
    const op = await fetchBulkOperation(clientAnswering(recorded("bulkOperation.completed")), "gid://shopify/BulkOperation/8072963391794");
    expect(op).toMatchObject({ status: "COMPLETED", objectCount: 1459, rootObjectCount: 1459, fileSize: 116246, errorCode: null });
    expect(op.url).toMatch(/^https:\/\//);
    const bad = recorded("bulkOperation.completed") as { bulkOperation: { status: string } };
    bad.bulkOperation.status = "DONE";
    const e = await appErrorOf(() => fetchBulkOperation(clientAnswering(bad), "x"));
    expect(e.code).toBe("SHOPIFY_GRAPHQL");
    expect(e.message).toMatch(/^bulkOperation: Shopify answered in an unexpected shape \(bulkOperation\.status: /);
  });
});

describe("bulk/mutations.ts", () => {
  // DEV "Bulk import data with the GraphQL Admin API": the result file has one JSON line per input line,
  // the mutation's response plus `__lineNumber` (the emulator's conformance case reads the same shape).
  it("readBulkMutationResults: userErrors by line number; a numbered line of another shape is an error, not a clean line", async () => {
    const op = await fetchBulkOperation(clientAnswering(recorded("bulkOperation.completed")), "x");
    const file = [
      { data: { tagsAdd: { node: { id: CUSTOMER }, userErrors: [] } }, __lineNumber: 0 },
      { data: { tagsAdd: { node: null, userErrors: [{ field: ["id"], message: "Customer does not exist" }] } }, __lineNumber: 1 },
    ]
      .map((l) => JSON.stringify(l))
      .join("\n");
    const lines = await readBulkMutationResults(op, async () => new Response(file));
    expect(lineMessages(lines.get(0), "tagsAdd")).toEqual([]);
    expect(lineMessages(lines.get(1), "tagsAdd")).toEqual(["Customer does not exist"]);
    const odd = JSON.stringify({ data: { tagsAdd: { userErrors: "Customer does not exist" } }, __lineNumber: 0 });
    const e = await appErrorOf(() => readBulkMutationResults(op, async () => new Response(odd)));
    expect(e.code).toBe("SHOPIFY_GRAPHQL");
    expect(e.message).toMatch(/^bulk mutation result line 1 has an unexpected shape: data\.tagsAdd\.userErrors: /);
  });
});

describe("segments.ts", () => {
  // REC 2025-01/segments/segment-create-update-query-grammar.json (case 0 accepted, case 10 refused).
  it("createSegment: the segment; an invalid query is every userError with Shopify's message", async () => {
    const ok = await createSegment(clientAnswering(recorded("segmentCreate.ok")), { name: "n", query: "customer_countries CONTAINS 'CA'" });
    expect(ok).toEqual({
      ok: true,
      value: {
        id: "gid://shopify/Segment/652810223922",
        name: "Query grammar Customer countries segment-query-grammar-1783213891271",
        query: "customer_countries CONTAINS 'CA'",
      },
    });
    const bad = await createSegment(clientAnswering(recorded("segmentCreate.invalidQuery")), { name: "n", query: "not valid" });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.userErrors.map((u) => [u.field, u.message])).toEqual([
      [["query"], "Query Line 1 Column 6: 'valid' is unexpected."],
      [["query"], "Query Line 1 Column 4: 'a' filter cannot be found."],
    ]);
    const thrown = await appErrorOf(async () => requireOk(bad, "segmentCreate"));
    expect(thrown.code).toBe("SHOPIFY_USER_ERRORS");
    expect(thrown.message).toBe(
      "segmentCreate: query: Query Line 1 Column 6: 'valid' is unexpected.; query: Query Line 1 Column 4: 'a' filter cannot be found.",
    );
  });

  // REC 2025-01/segments/segment-staged-catalog-roots.json (segments(query:) read).
  it("searchSegments: the nodes; a node without a query is refused", async () => {
    const found = await searchSegments(clientAnswering(recorded("segments.byQuery")), "staged-catalog-capture");
    expect(found).toEqual([
      {
        id: "gid://shopify/Segment/652819857714",
        name: "Staged catalog capture 1783234748411ggdck9",
        query: "customer_tags CONTAINS 'staged-catalog-capture'",
      },
    ]);
    const e = await appErrorOf(() =>
      searchSegments(clientAnswering({ segments: { nodes: [{ id: "gid://shopify/Segment/1", name: "x" }] } }), "x"),
    );
    expect(e.message).toMatch(/^segments: Shopify answered in an unexpected shape \(segments\.nodes\.0\.query: /);
  });
});

describe("discounts.ts", () => {
  const input: BasicCodeDiscountInput = {
    title: "Winback",
    code: "WB-1",
    startsAt: "2026-04-25T00:00:00Z",
    context: { customerSegments: { add: ["gid://shopify/Segment/1"] } },
    customerGets: { value: { percentage: 0.1 }, items: { all: true } },
    appliesOncePerCustomer: true,
    combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: true },
  };

  // REC 2026-04/discounts/discount-code-basic-lifecycle.json (create) and discount-validation-branches.json (duplicate code).
  it("createBasicCodeDiscount: the DiscountCodeNode id; a taken code is the userError TAKEN with Shopify's message", async () => {
    const client = clientAnswering(recorded("discountCodeBasicCreate.ok"), recorded("discountCodeBasicCreate.taken"));
    expect(await createBasicCodeDiscount(client, input)).toEqual({
      ok: true,
      value: { id: "gid://shopify/DiscountCodeNode/1660207006002" },
    });
    expect(client.sent[0]!.variables).toEqual({ basicCodeDiscount: input });
    const taken = await createBasicCodeDiscount(client, input);
    expect(taken).toEqual({
      ok: false,
      userErrors: [
        {
          field: ["basicCodeDiscount", "code"],
          message: "Code must be unique. Please try a different code.",
          code: "TAKEN",
          elementIndex: null,
          extraInfo: null,
        },
      ],
    });
    if (taken.ok) return;
    expect(userErrorsError(taken.userErrors, "discountCodeBasicCreate").message).toBe(
      "discountCodeBasicCreate: basicCodeDiscount.code: Code must be unique. Please try a different code. (TAKEN)",
    );
  });

  // REC 2026-04/discounts/discount-code-basic-lifecycle.json (the DiscountCodeNode as created; readAfterDelete: null).
  it("findCodeDiscount: type and title of the code's discount, null when no discount has the code", async () => {
    const client = clientAnswering(recorded("codeDiscountNodeByCode.found"), recorded("codeDiscountNodeByCode.missing"));
    expect(await findCodeDiscount(client, "HAR193LIFE1784044178621")).toEqual({
      id: "gid://shopify/DiscountCodeNode/1660207006002",
      type: "DiscountCodeBasic",
      title: "HAR-193 lifecycle 1784044178621",
      endsAt: null,
    });
    expect(await findCodeDiscount(client, "GONE")).toBeNull();
    const e = await appErrorOf(() =>
      findCodeDiscount(clientAnswering({ codeDiscountNodeByCode: { id: "gid://shopify/DiscountCodeNode/1" } }), "X"),
    );
    expect(e.message).toMatch(/^codeDiscountNodeByCode: Shopify answered in an unexpected shape \(codeDiscountNodeByCode\.codeDiscount: /);
  });
});

describe("discounts.ts: deactivate", () => {
  // REC 2026-04/discounts/discount-code-basic-lifecycle.json (deactivate: EXPIRED, endsAt set to the call's time).
  it("deactivateCodeDiscount: the node and its new end; a refusal with its code", async () => {
    // The second answer is made by hand (no recording of a refused deactivation): it checks the Outcome path.
    const client = clientAnswering(recorded("discountCodeDeactivate.ok"), {
      discountCodeDeactivate: {
        codeDiscountNode: null,
        userErrors: [{ field: ["id"], message: "Discount does not exist", code: "INVALID", extraInfo: null }],
      },
    });
    expect(await deactivateCodeDiscount(client, "gid://shopify/DiscountCodeNode/1660207006002")).toEqual({
      ok: true,
      value: { id: "gid://shopify/DiscountCodeNode/1660207006002", endsAt: "2026-07-14T15:49:39Z" },
    });
    expect(client.sent[0]!.variables).toEqual({ id: "gid://shopify/DiscountCodeNode/1660207006002" });
    expect(await deactivateCodeDiscount(client, "gid://shopify/DiscountCodeNode/0")).toMatchObject({
      ok: false,
      userErrors: [{ field: ["id"], message: "Discount does not exist", code: "INVALID" }],
    });
  });
});

describe("marketing.ts", () => {
  // REC 2026-04/customers/customer-email-marketing-consent-update-parity.json (mutation, missingOptInLevel, unknownCustomer).
  it("updateEmailMarketingConsent: the state Shopify holds; MISSING_ARGUMENT and a missing customer come back with code and message", async () => {
    const client = clientAnswering(
      recorded("customerEmailMarketingConsentUpdate.ok"),
      recorded("customerEmailMarketingConsentUpdate.missingOptInLevel"),
      recorded("customerEmailMarketingConsentUpdate.unknownCustomer"),
    );
    const update = {
      customerId: CUSTOMER,
      marketingState: "SUBSCRIBED",
      marketingOptInLevel: "SINGLE_OPT_IN",
      consentUpdatedAt: "2026-04-25T01:00:00Z",
    } as const;
    expect(await updateEmailMarketingConsent(client, update)).toEqual({
      ok: true,
      value: { customerId: CUSTOMER, marketingState: "SUBSCRIBED" },
    });
    // The adapter sends Shopify's input shape: the customer id beside emailMarketingConsent.
    expect(client.sent[0]!.variables).toEqual({
      input: {
        customerId: CUSTOMER,
        emailMarketingConsent: {
          marketingState: "SUBSCRIBED",
          marketingOptInLevel: "SINGLE_OPT_IN",
          consentUpdatedAt: "2026-04-25T01:00:00Z",
        },
      },
    });
    const missing = await updateEmailMarketingConsent(client, update);
    expect(missing).toMatchObject({
      ok: false,
      userErrors: [
        {
          field: ["input", "emailMarketingConsent", "marketingOptInLevel"],
          message: "Marketing opt in level must exist",
          code: "MISSING_ARGUMENT",
        },
      ],
    });
    const unknown = await updateEmailMarketingConsent(client, update);
    expect(unknown).toMatchObject({
      ok: false,
      userErrors: [{ field: ["input", "customerId"], message: "Customer not found", code: "INVALID" }],
    });
  });

  it("updateEmailMarketingConsent: a null payload is an error, not a success", async () => {
    const e = await appErrorOf(() =>
      updateEmailMarketingConsent(clientAnswering({ customerEmailMarketingConsentUpdate: null }), {
        customerId: CUSTOMER,
        marketingState: "UNSUBSCRIBED",
        marketingOptInLevel: "SINGLE_OPT_IN",
        consentUpdatedAt: "2026-04-25T01:00:00Z",
      }),
    );
    expect(e.code).toBe("SHOPIFY_GRAPHQL");
    expect(e.message).toMatch(/^customerEmailMarketingConsentUpdate: Shopify answered in an unexpected shape/);
  });

  // REC 2026-04/marketing/marketing-activity-create-external-default-status.json (createActive: the
  // activity's id and status; the upsert answers with the same MarketingActivity selection).
  it("upsertExternalActivity: sends Shopify's input (EMAIL newsletter, UTM, required status) and returns the activity id", async () => {
    const rec = recorded("marketingActivityCreateExternal.active") as { createActive: unknown };
    const client = clientAnswering({ marketingActivityUpsertExternal: rec.createActive });
    const r = await upsertExternalActivity(client, {
      remoteId: "winback-campaign-c1",
      title: "Winback: Spring",
      remoteUrl: "https://shop.myshopify.com/admin/apps/key/app/campaigns/c1",
      status: "ACTIVE",
      utm: { campaign: "winback-c1", source: "winback", medium: "email" },
      start: "2026-11-01T00:00:00.000Z",
    });
    expect(r).toEqual({ ok: true, value: { activityId: "gid://shopify/MarketingActivity/197870780722", status: "ACTIVE" } });
    expect(client.sent[0]!.variables).toEqual({
      input: {
        remoteId: "winback-campaign-c1",
        title: "Winback: Spring",
        remoteUrl: "https://shop.myshopify.com/admin/apps/key/app/campaigns/c1",
        status: "ACTIVE",
        utm: { campaign: "winback-c1", source: "winback", medium: "email" },
        marketingChannelType: "EMAIL",
        tactic: "NEWSLETTER",
        start: "2026-11-01T00:00:00.000Z",
      },
    });
    expect(recordingSource("marketingActivityCreateExternal.active")).toMatch(/default-status\.json$/);
  });

  // REC 2026-04/marketing/marketing-engagement-lifecycle.json (createByRemoteId, validation.invalidRemoteId).
  it("createEngagement: cumulative by remoteId; an unknown activity comes back as MARKETING_ACTIVITY_DOES_NOT_EXIST", async () => {
    const client = clientAnswering(recorded("marketingEngagementCreate.ok"), recorded("marketingEngagementCreate.invalidRemoteId"));
    const e = {
      occurredOn: "2026-04-26",
      utcOffset: "+00:00",
      sendsCount: 10,
      unsubscribesCount: 0,
      complaintsCount: 0,
      orders: 1.5,
      sales: { amount: "12.34", currencyCode: "USD" },
    };
    expect(await createEngagement(client, "har-463", e)).toEqual({ ok: true, value: { occurredOn: "2026-04-26" } });
    expect(client.sent[0]!.variables).toEqual({
      remoteId: "har-463",
      engagement: {
        occurredOn: "2026-04-26",
        utcOffset: "+00:00",
        sendsCount: 10,
        unsubscribesCount: 0,
        complaintsCount: 0,
        isCumulative: true,
        orders: "1.5",
        sales: { amount: "12.34", currencyCode: "USD" },
      },
    });
    const missing = await createEngagement(client, "nope", e);
    expect(missing).toEqual({
      ok: false,
      userErrors: [
        {
          field: null,
          message: "Marketing activity does not exist.",
          code: "MARKETING_ACTIVITY_DOES_NOT_EXIST",
          elementIndex: null,
          extraInfo: null,
        },
      ],
    });
  });
});

describe("flow.ts", () => {
  // REC 2026-04/admin-platform/admin-platform-flow-trigger-receive-body-schema-gaps.json (unknownTriggerId).
  it("receiveFlowTrigger: accepted, or the schema problem on body with Shopify's text", async () => {
    const client = clientAnswering({ flowTriggerReceive: { userErrors: [] } }, recorded("flowTriggerReceive.schemaError"));
    expect(await receiveFlowTrigger(client, { handle: "winback-touch", payload: { customer_id: "1" } })).toEqual({ ok: true, value: true });
    const bad = await receiveFlowTrigger(client, { handle: "abc", payload: {} });
    expect(bad).toMatchObject({
      ok: false,
      userErrors: [{ field: ["body"], message: "Errors validating schema:\n  Invalid trigger_id 'abc'.\n" }],
    });
    const e = await appErrorOf(() => receiveFlowTrigger(clientAnswering({ flowTriggerReceive: null }), { handle: "x", payload: {} }));
    expect(e.message).toMatch(/^flowTriggerReceive: Shopify answered in an unexpected shape/);
  });
});

describe("metafields.ts", () => {
  const entry = {
    ownerId: "gid://shopify/Product/10252752617778",
    namespace: "custom",
    key: "material",
    type: "single_line_text_field",
    value: "Canvas",
  };

  // REC 2025-01/metafields/metafield-definition-create-input-validation.json (reservedNamespaceShopifyStandard, shortNamespace).
  it("createMetafieldDefinition: the id; every refused field with its code", async () => {
    const client = clientAnswering(recorded("metafieldDefinitionCreate.ok"), recorded("metafieldDefinitionCreate.tooShort"));
    const def = { namespace: "shopify_standard", key: "xx", type: "single_line_text_field", name: "X", ownerType: "PRODUCT" };
    expect(await createMetafieldDefinition(client, def)).toEqual({
      ok: true,
      value: { id: "gid://shopify/MetafieldDefinition/222100881714" },
    });
    const short = await createMetafieldDefinition(client, { ...def, namespace: "a", key: "b" });
    expect(short.ok ? [] : short.userErrors.map((u) => u.code)).toEqual(["TOO_SHORT", "TOO_SHORT"]);
  });

  // REC 2025-01/products/metafields-set-parity.json, metafields-set-over-limit-parity.json.
  it("setMetafields: the keys written; over 25 entries the whole call is refused (LESS_THAN_OR_EQUAL_TO, elementIndex null)", async () => {
    const client = clientAnswering(recorded("metafieldsSet.ok"), recorded("metafieldsSet.overLimit"));
    expect(await setMetafields(client, [entry])).toEqual({ ok: true, value: [{ key: "material" }, { key: "origin" }] });
    const over = await setMetafields(
      client,
      Array.from({ length: 26 }, () => entry),
    );
    expect(over).toEqual({
      ok: false,
      userErrors: [
        {
          field: ["metafields"],
          message: "Exceeded the maximum metafields input limit of 25.",
          code: "LESS_THAN_OR_EQUAL_TO",
          elementIndex: null,
          extraInfo: null,
        },
      ],
    });
  });

  it("setMetafields: an elementIndex that is not an integer is refused, not guessed", async () => {
    const e = await appErrorOf(() =>
      setMetafields(
        clientAnswering({
          metafieldsSet: {
            metafields: null,
            userErrors: [{ field: ["metafields", "0"], message: "x", code: "INVALID", elementIndex: "0" }],
          },
        }),
        [entry],
      ),
    );
    expect(e.message).toMatch(/^metafieldsSet: Shopify answered in an unexpected shape \(metafieldsSet\.userErrors\.0\.elementIndex: /);
  });

  // REC 2025-01/products/metafields-delete-parity.json (one deleted, one null: nothing to delete).
  it("deleteMetafields: counts what existed", async () => {
    expect(await deleteMetafields(clientAnswering(recorded("metafieldsDelete.ok")), [entry, { ...entry, key: "gone" }])).toEqual({
      ok: true,
      value: { deleted: 1 },
    });
  });

  // REC 2025-01/metafields/shop-owner-metafields-read-after-write.json (readAfterSet, readAfterDelete). The recording
  // aliases the field `single:` and selects `value`; the app's document names it `metafield` and selects
  // `jsonValue`, which for a single_line_text_field is the same string (DEV Metafield.jsonValue).
  it("readShopMetafield: the shop's id and the value, null once deleted", async () => {
    const asApp = (name: string) => {
      const d = recorded(name) as { shop: { id: string; single: { value: string } | null } };
      return { shop: { id: d.shop.id, metafield: d.shop.single && { jsonValue: d.shop.single.value } } };
    };
    const client = clientAnswering(asApp("shop.metafield.set"), asApp("shop.metafield.unset"));
    expect(await readShopMetafield(client, { namespace: "sdp_shop_owner", key: "rw_ms5jbpd6" })).toEqual({
      shopId: "gid://shopify/Shop/92891250994",
      jsonValue: "value-ms5jbpd6",
    });
    expect(client.sent[0]!.variables).toEqual({ namespace: "sdp_shop_owner", key: "rw_ms5jbpd6" });
    expect(await readShopMetafield(client, { namespace: "sdp_shop_owner", key: "rw_ms5jbpd6" })).toEqual({
      shopId: "gid://shopify/Shop/92891250994",
      jsonValue: null,
    });
  });
});

describe("shop.ts", () => {
  // REC 2025-01/metafields/shop-owner-metafields-read-after-write.json (shop id, name, myshopifyDomain) plus
  // DEV admin-graphql Shop (currencyCode, ianaTimezone, email) and Count ({ count, precision }).
  it("fetchShopOverview: facts and exact counts; a shop without a currency is refused", async () => {
    const shop = (recorded("shop.identity") as { shop: Record<string, unknown> }).shop;
    const answer = {
      shop: { ...shop, currencyCode: "CAD", ianaTimezone: "America/Toronto", email: null },
      ordersCount: { count: 1459, precision: "EXACT" },
      customersCount: null,
    };
    expect(await fetchShopOverview(clientAnswering(answer))).toEqual({
      id: "gid://shopify/Shop/92891250994",
      name: "harry-test-heelo",
      myshopifyDomain: "harry-test-heelo.myshopify.com",
      currencyCode: "CAD",
      ianaTimezone: "America/Toronto",
      email: null,
      ordersCount: 1459,
      customersCount: 0,
    });
    const e = await appErrorOf(() => fetchShopOverview(clientAnswering({ ...answer, shop })));
    expect(e.code).toBe("SHOPIFY_GRAPHQL");
    expect(e.message).toMatch(/^shop overview: Shopify answered in an unexpected shape \(shop\.currencyCode: .*; shop\.ianaTimezone: /);
  });

  // REC 2025-01/metafields/shop-owner-metafields-read-after-write.json (shop name) plus DEV admin-graphql Shop
  // (contactEmail; shopAddress is a MailingAddress, null fields where the merchant left them empty).
  it("fetchShopEmailIdentity: name, contact email and address; a non-string address line is refused", async () => {
    const shop = (recorded("shop.identity") as { shop: { name: string } }).shop;
    const address = {
      company: null,
      address1: "1 Main St",
      address2: null,
      city: "Toronto",
      province: "Ontario",
      zip: "M5V 1A1",
      country: "Canada",
    };
    expect(
      await fetchShopEmailIdentity(clientAnswering({ shop: { name: shop.name, contactEmail: "hello@example.com", shopAddress: address } })),
    ).toEqual({ name: "harry-test-heelo", contactEmail: "hello@example.com", shopAddress: address });
    const e = await appErrorOf(() =>
      fetchShopEmailIdentity(clientAnswering({ shop: { name: shop.name, contactEmail: null, shopAddress: { ...address, zip: 12345 } } })),
    );
    expect(e.message).toMatch(/^shop email identity: Shopify answered in an unexpected shape \(shop\.shopAddress\.zip: /);
  });
});
