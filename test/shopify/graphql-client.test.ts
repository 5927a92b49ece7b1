// The Admin client hands adapters `data` as unknown and parses everything else it reads itself:
// GraphQL errors, the cost extension (throttling) and the Remix library's Response.
// Shapes: REC airhorns/shopify-draft-proxy fixtures/conformance/harry-test-heelo.myshopify.com/
// 2025-01/products/tags-add-parity.json (`extensions.cost` with throttleStatus 2000 / 100) and
// DEV admin-graphql rate limits (THROTTLED at HTTP 200).
import { describe, expect, it } from "vitest";
import { createAdminClient, remixAdminClient, type QueryCost } from "../../app/shopify/graphql-client";
import { appErrorOf, recorded } from "./support";

const COST = {
  requestedQueryCost: 10,
  actualQueryCost: 10,
  throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 1990, restoreRate: 100 },
};

function fetchAnswering(...bodies: unknown[]): typeof fetch {
  return async () => {
    const body = bodies.shift();
    if (body === undefined) throw new Error("unexpected request");
    return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
  };
}

describe("createAdminClient", () => {
  it("returns data untouched for the adapter to parse, and reports the recorded cost", async () => {
    const costs: QueryCost[] = [];
    const client = createAdminClient({
      shop: "s.myshopify.com",
      accessToken: "t",
      urlTemplate: "https://{shop}",
      fetch: fetchAnswering({ data: recorded("tagsAdd.ok"), extensions: { cost: COST } }),
      onCost: (c) => costs.push(c),
    });
    expect(await client.request("mutation { x }")).toEqual(recorded("tagsAdd.ok"));
    expect(costs).toEqual([COST]);
  });

  it("waits what the bucket needs after THROTTLED, then answers", async () => {
    const waits: number[] = [];
    const throttled = {
      errors: [{ message: "Throttled", extensions: { code: "THROTTLED" } }],
      extensions: { cost: { ...COST, requestedQueryCost: 502, throttleStatus: { ...COST.throttleStatus, currentlyAvailable: 2 } } },
    };
    const client = createAdminClient({
      shop: "s.myshopify.com",
      accessToken: "t",
      urlTemplate: "https://{shop}",
      fetch: fetchAnswering(throttled, { data: { ok: 1 } }),
      sleep: async (ms) => void waits.push(ms),
    });
    expect(await client.request("{ x }")).toEqual({ ok: 1 });
    expect(waits).toEqual([5050]); // (502 - 2) points at 100/s, plus the 50 ms margin
  });

  it("top-level errors are SHOPIFY_GRAPHQL with their codes; an unreadable error list is refused, not ignored", async () => {
    const denied = createAdminClient({
      shop: "s.myshopify.com",
      accessToken: "t",
      urlTemplate: "https://{shop}",
      fetch: fetchAnswering({ data: null, errors: [{ message: "Access denied", extensions: { code: "ACCESS_DENIED" } }] }),
    });
    const e = await appErrorOf(() => denied.request("{ x }"));
    expect(e.code).toBe("SHOPIFY_GRAPHQL");
    expect(e.message).toBe("ACCESS_DENIED: Access denied");
    const odd = createAdminClient({
      shop: "s.myshopify.com",
      accessToken: "t",
      urlTemplate: "https://{shop}",
      fetch: fetchAnswering({ data: null, errors: [{ text: "no message field" }] }),
    });
    expect((await appErrorOf(() => odd.request("{ x }"))).code).toBe("SHOPIFY_GRAPHQL");
  });
});

describe("remixAdminClient", () => {
  const admin = (body: unknown, status = 200) => ({
    sent: [] as Array<{ query: string; variables?: Record<string, unknown> }>,
    async graphql(query: string, opts?: { variables?: Record<string, unknown> }) {
      this.sent.push({ query, variables: opts?.variables });
      return new Response(JSON.stringify(body), { status });
    },
  });

  it("answers data and passes variables through", async () => {
    const a = admin({ data: recorded("tagsAdd.ok"), extensions: { cost: COST } });
    expect(await remixAdminClient("s.myshopify.com", a).request("mutation M($id: ID!) { x }", { id: "1" })).toEqual(recorded("tagsAdd.ok"));
    expect(a.sent).toEqual([{ query: "mutation M($id: ID!) { x }", variables: { id: "1" } }]);
  });

  it("top-level errors are SHOPIFY_GRAPHQL; a body that is not GraphQL says the status", async () => {
    const e = await appErrorOf(() =>
      remixAdminClient("s", admin({ errors: [{ message: "Field 'x' doesn't exist", extensions: { code: "undefinedField" } }] })).request(
        "{ x }",
      ),
    );
    expect(e).toMatchObject({ code: "SHOPIFY_GRAPHQL", message: "undefinedField: Field 'x' doesn't exist" });
    const odd = await appErrorOf(() => remixAdminClient("s", admin({ errors: "nope" }, 502)).request("{ x }"));
    expect(odd).toMatchObject({ code: "SHOPIFY_GRAPHQL", message: "Admin API answered 502 without a GraphQL body" });
  });
});
