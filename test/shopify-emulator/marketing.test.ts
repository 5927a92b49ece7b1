import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Emulator } from "./index";
import { FakeClock, SHOP, gql, start } from "./helpers";

const TAGS_ADD = `mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id ... on Customer { tags } } userErrors { field message } } }`;
const TAGS_REMOVE = `mutation($id: ID!, $tags: [String!]!) { tagsRemove(id: $id, tags: $tags) { node { id ... on Customer { tags } } userErrors { field message } } }`;
const SEGMENT_CREATE = `mutation($name: String!, $query: String!) { segmentCreate(name: $name, query: $query) { segment { id name query creationDate lastEditDate } userErrors { field message } } }`;
const MEMBERS = `query($id: ID, $q: String, $first: Int!, $after: String) { customerSegmentMembers(segmentId: $id, query: $q, first: $first, after: $after) {
  totalCount edges { cursor node { id displayName firstName numberOfOrders amountSpent { amount currencyCode } defaultEmailAddress { emailAddress marketingState } } } pageInfo { hasNextPage endCursor } } }`;
const CONSENT = `mutation($input: CustomerEmailMarketingConsentUpdateInput!) { customerEmailMarketingConsentUpdate(input: $input) {
  customer { id emailMarketingConsent { marketingState marketingOptInLevel consentUpdatedAt } } userErrors { field message code } } }`;
const FLOW = `mutation($handle: String, $payload: JSON) { flowTriggerReceive(handle: $handle, payload: $payload) { userErrors { field message } } }`;

describe("emulator marketing: tags, segments, consent, Flow", () => {
  let emu: Emulator;
  let clock: FakeClock;
  let token: string;
  let app: http.Server;
  const hooks: Array<{ topic: string; body: any }> = [];
  const customerGid = (i: number) => emu.shop(SHOP).customerView(i).id;

  beforeAll(async () => {
    app = http.createServer((req, res) => {
      let b = "";
      req.on("data", (c) => (b += c));
      req.on("end", () => {
        hooks.push({ topic: String(req.headers["x-shopify-topic"]), body: JSON.parse(b) });
        res.end();
      });
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    const ext = fs.mkdtempSync(path.join(os.tmpdir(), "emu-flow-ext-"));
    const trigger = (dir: string, handle: string, fields: string) => {
      fs.mkdirSync(path.join(ext, dir));
      fs.writeFileSync(
        path.join(ext, dir, "shopify.extension.toml"),
        `[[extensions]]\nname = "T"\ntype = "flow_trigger"\nhandle = "${handle}"\ndescription = "d"\n\n[settings]\n${fields}`,
      );
    };
    const field = (type: string, key?: string) => `\n  [[settings.fields]]\n  type = "${type}"\n${key ? `  key = "${key}"\n` : ""}`;
    trigger(
      "touch",
      "winback-touch",
      field("customer_reference") +
        field("single_line_text_field", "Branch") +
        field("single_line_text_field", "Discount code") +
        field("number_decimal", "Amount"),
    );
    trigger("legacy", "legacy-trigger", field("customer_reference") + field("number_integer", "Count"));
    ({ emu, clock } = await start({
      appUrl: `http://127.0.0.1:${(app.address() as AddressInfo).port}`,
      webhookRetry: { attempts: 1, baseDelayMs: 1, timeoutMs: 1000 },
      extensionsDir: ext,
    }));
    await emu.addShop(SHOP, { seed: 5, customers: 120, years: 2 });
    token = emu.issueAccessToken(SHOP);
  });
  afterAll(async () => {
    await emu.stop();
    app.close();
  });
  beforeEach(() => {
    hooks.length = 0;
  });

  it("tagsAdd merges tags (comma strings split, case-insensitive dedupe), fires customers/update, and Customer.tags / tag: search reflect it", async () => {
    const id = customerGid(3);
    const before = emu.shop(SHOP).customerView(3).tags;
    const { body } = await gql(emu, token, TAGS_ADD, { id, tags: ["winback-2026, winback-std", "WINBACK-STD"] });
    expect(body.data.tagsAdd.userErrors).toEqual([]);
    expect(body.data.tagsAdd.node.tags).toEqual([...before, "winback-2026", "winback-std"].sort());
    await emu.webhooks.idle();
    const upd = hooks.filter((h) => h.topic === "customers/update");
    expect(upd).toHaveLength(1);
    expect(upd[0]!.body.admin_graphql_api_id).toBe(id);
    expect(upd[0]!.body.tags).toContain("winback-std");

    const search = await gql(emu, token, `{ customers(first: 5, query: "tag:winback-std") { nodes { id tags } } }`);
    expect(search.body.data.customers.nodes.map((n: any) => n.id)).toEqual([id]);

    // Adding again changes nothing and sends no webhook (Shopify only notifies on a change).
    hooks.length = 0;
    const again = await gql(emu, token, TAGS_ADD, { id, tags: ["winback-std"] });
    expect(again.body.data.tagsAdd.node.tags.filter((t: string) => t.toLowerCase() === "winback-std")).toHaveLength(1);
    await emu.webhooks.idle();
    expect(hooks.filter((h) => h.topic === "customers/update")).toHaveLength(0);

    const removed = await gql(emu, token, TAGS_REMOVE, { id, tags: ["Winback-Std"] });
    expect(removed.body.data.tagsRemove.node.tags).not.toContain("winback-std");
    expect(removed.body.data.tagsRemove.node.tags).toContain("winback-2026");
  });

  it("tagsAdd/tagsRemove: unknown customer and the 250-tag limit are userErrors; inspector logs the mutation", async () => {
    const missing = "gid://shopify/Customer/999999999999999";
    for (const [doc, root] of [
      [TAGS_ADD, "tagsAdd"],
      [TAGS_REMOVE, "tagsRemove"],
    ] as const) {
      const { body } = await gql(emu, token, doc, { id: missing, tags: ["vip"] });
      expect(body.data[root]).toEqual({ node: null, userErrors: [{ field: ["id"], message: "Customer does not exist" }] });
    }
    const id = customerGid(4);
    const many = Array.from({ length: 251 }, (_, i) => `t-${i}`);
    const { body } = await gql(emu, token, TAGS_ADD, { id, tags: many });
    expect(body.data.tagsAdd).toEqual({ node: null, userErrors: [{ field: ["tags"], message: "Tags cannot be more than 250" }] });
    expect(
      emu
        .shop(SHOP)
        .customerView(4)
        .tags.some((t) => t.startsWith("t-")),
    ).toBe(false);
    const insp = await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json();
    expect(insp.mutations.some((m: any) => m.field === "tagsAdd")).toBe(true);
  });

  it("segmentCreate parses customer_tags CONTAINS with AND/OR/NOT; membership is live and paginated", async () => {
    const { body } = await gql(emu, token, SEGMENT_CREATE, { name: "Win-back standard", query: "customer_tags CONTAINS 'wb-seg-test'" });
    expect(body.data.segmentCreate.userErrors).toEqual([]);
    const seg = body.data.segmentCreate.segment;
    expect(seg).toMatchObject({
      name: "Win-back standard",
      query: "customer_tags CONTAINS 'wb-seg-test'",
      creationDate: "2026-11-01T12:00:00Z",
    });
    expect(seg.id).toMatch(/^gid:\/\/shopify\/Segment\/\d+$/);

    let members = await gql(emu, token, MEMBERS, { id: seg.id, first: 10 });
    expect(members.body.data.customerSegmentMembers.totalCount).toBe(0);

    const tagged = [10, 11, 12, 13, 14];
    for (const c of tagged) await gql(emu, token, TAGS_ADD, { id: customerGid(c), tags: ["wb-seg-test"] });
    members = await gql(emu, token, MEMBERS, { id: seg.id, first: 3 });
    const page1 = members.body.data.customerSegmentMembers;
    expect(page1.totalCount).toBe(5);
    expect(page1.edges).toHaveLength(3);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const v = emu.shop(SHOP).customerView(10);
    expect(page1.edges[0].node).toMatchObject({
      id: `gid://shopify/CustomerSegmentMember/${v.legacyId}`,
      displayName: v.displayName,
      numberOfOrders: v.numberOfOrders,
    });
    const page2 = (await gql(emu, token, MEMBERS, { id: seg.id, first: 3, after: page1.pageInfo.endCursor })).body.data
      .customerSegmentMembers;
    expect(page2.edges).toHaveLength(2);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const all = [...page1.edges, ...page2.edges].map((e: any) => e.node.id);
    expect(all).toEqual(tagged.map((c) => `gid://shopify/CustomerSegmentMember/${emu.shop(SHOP).customerLegacyId(c)}`));

    // Boolean combinations and inline queries.
    await gql(emu, token, TAGS_ADD, { id: customerGid(10), tags: ["wb-holdout"] });
    const notHoldout = await gql(emu, token, MEMBERS, {
      q: "customer_tags CONTAINS 'wb-seg-test' AND customer_tags NOT CONTAINS 'wb-holdout'",
      first: 10,
    });
    expect(notHoldout.body.data.customerSegmentMembers.totalCount).toBe(4);
    const either = await gql(emu, token, MEMBERS, {
      q: "(customer_tags CONTAINS 'wb-holdout' OR customer_tags CONTAINS 'wb-seg-test') AND NOT customer_tags CONTAINS 'nope'",
      first: 10,
    });
    expect(either.body.data.customerSegmentMembers.totalCount).toBe(5);
    const orders = await gql(emu, token, MEMBERS, { q: "number_of_orders >= 1", first: 1 });
    const cs = emu.shop(SHOP).data.customers;
    let withOrders = 0;
    for (let c = 0; c < cs.length; c++) if (cs.ordersCount[c]! >= 1) withOrders++;
    expect(orders.body.data.customerSegmentMembers.totalCount).toBe(withOrders);

    // segment / segments read back
    const read = await gql(emu, token, `query($id: ID!) { segment(id: $id) { id name query } segments(first: 10) { nodes { id name } } }`, {
      id: seg.id,
    });
    expect(read.body.data.segment).toEqual({ id: seg.id, name: seg.name, query: seg.query });
    expect(read.body.data.segments.nodes.map((n: any) => n.id)).toContain(seg.id);
  });

  it("segmentCreate: invalid queries and blank names are userErrors; a duplicate name gets Shopify's (2) suffix", async () => {
    const cases: Array<[string, string, unknown]> = [
      ["Bad", "foo bar", [{ field: ["query"], message: "Query Line 1 Column 1: 'foo' filter cannot be found." }]],
      [
        "Bad",
        "customer_tags = 'x'",
        [{ field: ["query"], message: "Query Line 1 Column 14: customer_tags does not support operator '='" }],
      ],
      ["", "customer_tags CONTAINS 'x'", [{ field: ["name"], message: "Name can't be blank" }]],
      ["Big", "x".repeat(5001), [{ field: ["query"], message: "Query is too long (maximum is 5000 characters)" }]],
    ];
    for (const [name, query, errors] of cases) {
      const { body } = await gql(emu, token, SEGMENT_CREATE, { name, query });
      expect(body.data.segmentCreate).toEqual({ segment: null, userErrors: errors });
    }
    const a = await gql(emu, token, SEGMENT_CREATE, { name: "Dup name", query: "customer_tags CONTAINS 'a'" });
    const b = await gql(emu, token, SEGMENT_CREATE, { name: "Dup name", query: "customer_tags CONTAINS 'b'" });
    expect(a.body.data.segmentCreate.segment.name).toBe("Dup name");
    expect(b.body.data.segmentCreate.segment.name).toBe("Dup name (2)");
    expect(b.body.data.segmentCreate.segment.id).not.toBe(a.body.data.segmentCreate.segment.id);
    const unknown = await gql(emu, token, MEMBERS, { id: "gid://shopify/Segment/1", first: 5 });
    expect(unknown.body.errors[0].message).toBe("Segment does not exist");
    const insp = await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json();
    expect(insp.stores.segments.map((s: any) => s.name)).toEqual(expect.arrayContaining(["Dup name", "Dup name (2)"]));
  });

  it("customerEmailMarketingConsentUpdate updates consent, fires customers/update, and validates like Shopify", async () => {
    const cs = emu.shop(SHOP).data.customers;
    let c = 0;
    while (!cs.email(c)) c++;
    const id = customerGid(c);
    clock.advance(60_000);
    const { body } = await gql(emu, token, CONSENT, {
      input: {
        customerId: id,
        emailMarketingConsent: {
          marketingState: "UNSUBSCRIBED",
          marketingOptInLevel: "SINGLE_OPT_IN",
          consentUpdatedAt: "2026-11-01T12:00:30Z",
        },
      },
    });
    expect(body.data.customerEmailMarketingConsentUpdate).toEqual({
      customer: {
        id,
        emailMarketingConsent: {
          marketingState: "UNSUBSCRIBED",
          marketingOptInLevel: "SINGLE_OPT_IN",
          consentUpdatedAt: "2026-11-01T12:00:30Z",
        },
      },
      userErrors: [],
    });
    await emu.webhooks.idle();
    const hook = hooks.find((h) => h.topic === "customers/update" && h.body.admin_graphql_api_id === id);
    expect(hook?.body.email_marketing_consent).toMatchObject({ state: "unsubscribed", opt_in_level: "single_opt_in" });
    const search = await gql(emu, token, `{ customers(first: 250, query: "email_marketing_state:UNSUBSCRIBED") { nodes { id } } }`);
    expect(search.body.data.customers.nodes.map((n: any) => n.id)).toContain(id);

    const unknown = await gql(emu, token, CONSENT, {
      input: { customerId: "gid://shopify/Customer/999999999999999", emailMarketingConsent: { marketingState: "SUBSCRIBED" } },
    });
    expect(unknown.body.data.customerEmailMarketingConsentUpdate).toEqual({
      customer: null,
      userErrors: [{ field: ["input", "customerId"], message: "Customer not found", code: "INVALID" }],
    });
    // Live recording customers/customer-email-marketing-consent-update-parity.json (2026-04): without a
    // marketingOptInLevel Shopify refuses (MISSING_ARGUMENT) and changes nothing; the emulator used to
    // default the level to SINGLE_OPT_IN.
    const noLevel = await gql(emu, token, CONSENT, { input: { customerId: id, emailMarketingConsent: { marketingState: "SUBSCRIBED" } } });
    expect(noLevel.body.data.customerEmailMarketingConsentUpdate).toEqual({
      customer: {
        id,
        emailMarketingConsent: {
          marketingState: "UNSUBSCRIBED",
          marketingOptInLevel: "SINGLE_OPT_IN",
          consentUpdatedAt: "2026-11-01T12:00:30Z",
        },
      },
      userErrors: [
        {
          field: ["input", "emailMarketingConsent", "marketingOptInLevel"],
          message: "Marketing opt in level must exist",
          code: "MISSING_ARGUMENT",
        },
      ],
    });
    const future = await gql(emu, token, CONSENT, {
      input: {
        customerId: id,
        emailMarketingConsent: {
          marketingState: "SUBSCRIBED",
          marketingOptInLevel: "SINGLE_OPT_IN",
          consentUpdatedAt: "2999-01-01T00:00:00Z",
        },
      },
    });
    expect(future.body.data.customerEmailMarketingConsentUpdate.userErrors).toEqual([
      {
        field: ["input", "emailMarketingConsent", "consentUpdatedAt"],
        message: "Consent updated at must not be in the future",
        code: "INVALID",
      },
    ]);
    const pending = await gql(emu, token, CONSENT, {
      input: { customerId: id, emailMarketingConsent: { marketingState: "PENDING", marketingOptInLevel: "SINGLE_OPT_IN" } },
    });
    expect(pending.body.data.customerEmailMarketingConsentUpdate.userErrors[0].field).toEqual([
      "input",
      "emailMarketingConsent",
      "marketingOptInLevel",
    ]);
    const notSub = await gql(emu, token, CONSENT, {
      input: { customerId: id, emailMarketingConsent: { marketingState: "NOT_SUBSCRIBED", marketingOptInLevel: "SINGLE_OPT_IN" } },
    });
    expect(notSub.body.errors[0].message).toBe("Cannot specify NOT_SUBSCRIBED as a marketing state input");
    expect(emu.shop(SHOP).customerView(c)._emailState).toBe("UNSUBSCRIBED");
    const insp = await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json();
    expect(insp.stores.consentChanges.at(-1)).toMatchObject({ customerId: id, marketingState: "UNSUBSCRIBED" });
  });

  // Flow triggers are validated against the deployed extensions (flow-extensions.ts): this test deploys
  // its own two (one the Shopify CLI would refuse) so it does not depend on the app's tomls.
  it("flowTriggerReceive records triggers and rejects missing handle, oversize and non-object payloads", async () => {
    const payload = { customer_id: 123, Branch: "standard", "Discount code": "WB-ABC", Amount: 5.5 };
    const ok = await gql(emu, token, FLOW, { handle: "winback-touch", payload });
    expect(ok.body.data.flowTriggerReceive.userErrors).toEqual([]);
    const insp = await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json();
    expect(insp.stores.flowTriggers.at(-1)).toMatchObject({ handle: "winback-touch", payload });

    const missing = await gql(emu, token, FLOW, { payload });
    expect(missing.body.data.flowTriggerReceive.userErrors).toEqual([
      { field: ["handle"], message: "`handle` and `payload` arguments are required" },
    ]);
    const big = await gql(emu, token, FLOW, { handle: "winback-touch", payload: { blob: "x".repeat(50_001) } });
    expect(big.body.data.flowTriggerReceive.userErrors).toEqual([
      { field: ["body"], message: "Errors validating schema:\n  Properties size exceeds the limit of 50000 bytes.\n" },
    ]);
    const arr = await gql(emu, token, FLOW, { handle: "winback-touch", payload: [1, 2] });
    expect(arr.body.data.flowTriggerReceive.userErrors[0].field).toEqual(["body"]);
    const badHandle = await gql(emu, token, FLOW, { handle: "Not A Handle!", payload });
    expect(badHandle.body.data.flowTriggerReceive.userErrors).toEqual([
      { field: ["body"], message: "Errors validating schema:\n  Invalid handle 'Not A Handle!'.\n" },
    ]);
    // Live recording admin-platform/admin-platform-flow-trigger-receive-property-size-boundary.json:
    // a well-formed handle no deployed extension declares is "Invalid handle".
    const unknown = await gql(emu, token, FLOW, { handle: "missing-flow-trigger-handle", payload });
    expect(unknown.body.data.flowTriggerReceive.userErrors).toEqual([
      { field: ["body"], message: "Errors validating schema:\n  Invalid handle 'missing-flow-trigger-handle'.\n" },
    ]);
    // An extension with a field type the CLI refuses (number_integer) never deploys: its handle is unknown.
    const undeployable = await gql(emu, token, FLOW, { handle: "legacy-trigger", payload: { customer_id: 1, Count: 2 } });
    expect(undeployable.body.data.flowTriggerReceive.userErrors[0].message).toBe(
      "Errors validating schema:\n  Invalid handle 'legacy-trigger'.\n",
    );
    // Payload against the declared fields, in the recorded grammar (one userError, one problem a line).
    const wrong = await gql(emu, token, FLOW, { handle: "winback-touch", payload: { touch_day: 3, Amount: "5", Branch: "a\nb" } });
    expect(wrong.body.data.flowTriggerReceive.userErrors).toEqual([
      {
        field: ["body"],
        message:
          "Errors validating schema:\n  Invalid field: 'touch_day'.\n  Required field missing: 'customer_id'.\n  Type error for field 'Amount': 5 is not a Decimal.\n  Type error for field 'Branch': a\nb is not a single line String.\n",
      },
    ]);
    const after = await (await fetch(`${emu.url}/__emulator/shops/${SHOP}`)).json();
    expect(after.stores.flowTriggers).toHaveLength(insp.stores.flowTriggers.length);
  });
});
