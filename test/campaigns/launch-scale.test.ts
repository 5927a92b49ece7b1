import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertMembers, memberGroupsRelation } from "../../app/campaigns/store";
import { openDatabase, type Database } from "../../app/db/open";
import { readBulkMutationFailures, startBulkMutation } from "../../app/shopify/bulk/mutations";
import type { AdminClient } from "../../app/shopify/graphql-client";
import { purchaseTotalsByGroup, purchaseTotalsInWindow } from "../../app/sync/store/purchases";

/**
 * The set-based launch and page pieces of ADR 094: members by COPY (existing rows kept), the page's
 * join-based totals equal to the per-id ones, the streamed bulk upload and the streamed result read.
 */
const SHOP = "launch-scale.myshopify.com";
let db: Database;

beforeAll(async () => {
  db = openDatabase({});
  await db.ready();
  await db.sql.query(
    `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", email, settings, "updatedAt") VALUES ($1, 'S', 'EUR', 'UTC', 'o@s.test', '{}', now())`,
    [SHOP],
  );
  for (const id of ["c-1", "c-2"])
    await db.sql.query(
      `INSERT INTO "Campaign" (id, shop, name, status, settings, "launchSteps", tag, "discountCode", "createdAt", "updatedAt")
       VALUES ($1, $2, 'C', 'launching', '{}', '{}', 'winback-x', 'CODE-' || $1, now(), now())`,
      [id, SHOP],
    );
}, 120_000);
afterAll(async () => db?.close());

describe("members by COPY", () => {
  it("writes every member with arm and churn risk, keeps existing rows, and counts the campaign", async () => {
    const at = new Date("2026-12-01T10:00:00.000Z");
    const until = new Date("2026-12-31T10:00:00.000Z");
    const members = Array.from({ length: 2500 }, (_, i) => ({
      customerId: String(1000 + i),
      branch: i % 10 === 0 ? "VIP" : "Standard",
      holdout: i % 7 === 0,
      holdoutUntil: i % 7 === 0 ? until : null,
      arm: i % 7 !== 0 && i % 10 !== 0 ? ((i % 2 ? "A" : "B") as "A" | "B") : null,
      churnRisk: i % 11 === 0 ? null : (i % 100) / 100,
    }));
    const counts = await insertMembers(db.sql, "c-1", SHOP, at, members);
    expect(counts.treated + counts.holdout).toBe(2500);
    expect(counts.holdout).toBe(members.filter((m) => m.holdout).length);
    expect(counts.vip).toBe(250);
    // A second run (a resumed launch) with a changed row keeps the first one.
    const again = await insertMembers(db.sql, "c-1", SHOP, new Date(), [{ ...members[1]!, branch: "VIP", churnRisk: 0.99 }]);
    expect(again).toEqual(counts);
    const rows = await db.sql.query<{
      id: string;
      branch: string;
      holdout: boolean;
      until: Date | null;
      arm: string | null;
      risk: number | null;
      assignedAt: Date;
    }>(
      `SELECT "customerId"::text AS id, branch, holdout, "holdoutUntil" AS until, arm, "churnRiskAtAssignment" AS risk, "assignedAt" FROM "CampaignMember" WHERE "campaignId" = 'c-1' ORDER BY "customerId"`,
    );
    expect(rows).toHaveLength(2500);
    rows.forEach((r, i) => {
      const m = members[i]!;
      expect([r.id, r.branch, r.holdout, r.arm, r.risk]).toEqual([m.customerId, m.branch, m.holdout, m.arm, m.churnRisk]);
      expect(r.until ? new Date(r.until).toISOString() : null).toBe(m.holdoutUntil?.toISOString() ?? null);
      expect(new Date(r.assignedAt).toISOString()).toBe(at.toISOString());
    });
  });

  it("refuses a customer id that is not a number, and writes nothing", async () => {
    await expect(
      insertMembers(db.sql, "c-2", SHOP, new Date(), [
        { customerId: "5", branch: "Standard", holdout: false, holdoutUntil: null },
        { customerId: "5\t6", branch: "Standard", holdout: false, holdoutUntil: null },
      ]),
    ).rejects.toThrow(/not a number/);
    expect((await db.sql.query(`SELECT 1 FROM "CampaignMember" WHERE "campaignId" = 'c-2'`)).length).toBe(0);
  });
});

describe("campaign totals joined to the member table", () => {
  it("equal the per-customer totals of the same window summed per arm, branch and day of first order", async () => {
    const from = new Date("2026-12-01T10:00:00.000Z");
    const to = new Date("2026-12-31T10:00:00.000Z");
    const ids = (
      await db.sql.query<{ id: string }>(`SELECT "customerId"::text AS id FROM "CampaignMember" WHERE "campaignId" = 'c-1'`)
    ).map((r) => r.id);
    // Orders before, inside and after the window, a test and a cancelled one, some with the code in another case.
    let orderId = 1;
    for (const [k, id] of ids.entries()) {
      if (k % 3) continue;
      const at = (d: number) => new Date(from.getTime() + d * 86_400_000 + (k % 5) * 3_600_000).toISOString();
      const rows: Array<[string, string, boolean, boolean, string[]]> = [
        [at(-3), "10.00", false, false, []],
        [at(k % 29), `${20 + (k % 13)}.50`, false, false, k % 2 ? ["code-c-1"] : []],
        [at((k % 29) + 1), "7.25", k % 4 === 0, false, []],
        [at((k % 29) + 2), "3.00", false, k % 6 === 0, ["CODE-c-1"]],
        [at(31), "99.00", false, false, []],
      ];
      for (const [processedAt, total, test, cancelled, codes] of rows)
        await db.sql.query(
          `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "currentTotal", "totalPrice", currency, "discountCodes")
           VALUES ($1, $2, $3, $4::timestamp, $4::timestamp, $4::timestamp, $5, $6, $7, $7, 'EUR', $8)`,
          [SHOP, orderId++, id, processedAt, cancelled ? processedAt : null, test, total, codes],
        );
    }
    const window = { from, to, discountCode: "CODE-c-1" };
    const perId = await purchaseTotalsInWindow(db.sql, SHOP, ids, window);
    const members = await db.sql.query<{ id: string; holdout: boolean; branch: string }>(
      `SELECT "customerId"::text AS id, holdout, branch FROM "CampaignMember" WHERE "campaignId" = 'c-1'`,
    );
    const expected = new Map<string, { customers: number; revenue: number; revenueSq: number; redemptions: number; redeemed: number }>();
    for (const m of members) {
      const t = perId.get(m.id)!;
      if (!t.firstAt) continue;
      const day = Math.floor((t.firstAt.getTime() - from.getTime()) / 86_400_000);
      const key = `${m.holdout ? "holdout" : "treated"}:${m.branch}|${day}`;
      const e = expected.get(key) ?? { customers: 0, revenue: 0, revenueSq: 0, redemptions: 0, redeemed: 0 };
      e.customers++;
      e.revenue += Number(t.revenue);
      e.revenueSq += Number(t.revenue) ** 2;
      e.redemptions += t.redemptions;
      e.redeemed += Number(t.redeemedTotal);
      expected.set(key, e);
    }
    const got = await purchaseTotalsByGroup(db.sql, SHOP, memberGroupsRelation("c-1"), window);
    expect(got.length).toBe(expected.size);
    expect(got.length).toBeGreaterThan(20);
    for (const g of got) {
      const e = expected.get(`${g.group}|${g.day}`)!;
      expect(e, `${g.group} day ${g.day}`).toBeDefined();
      expect(g.customers).toBe(e.customers);
      expect(Number(g.revenue)).toBeCloseTo(e.revenue, 6);
      expect(Number(g.revenueSq)).toBeCloseTo(e.revenueSq, 4);
      expect(g.redemptions).toBe(e.redemptions);
      expect(Number(g.redeemedTotal)).toBeCloseTo(e.redeemed, 6);
    }
    expect(got.reduce((n, g) => n + g.redemptions, 0)).toBeGreaterThan(0);
  });
});

describe("streamed bulk mutation upload and results", () => {
  const client: AdminClient = {
    shop: SHOP,
    async request(query) {
      if (query.includes("stagedUploadsCreate"))
        return {
          stagedUploadsCreate: {
            stagedTargets: [{ url: "https://upload.test/bucket", parameters: [{ name: "key", value: "tmp/vars.jsonl" }] }],
            userErrors: [],
          },
        };
      return { bulkOperationRunMutation: { bulkOperation: { id: "gid://shopify/BulkOperation/1", status: "CREATED" }, userErrors: [] } };
    },
  } as AdminClient;

  it("uploads batches from an async iterable as one JSONL file, line for line, and removes the temporary file", async () => {
    const leftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith("winback-bulk-"));
    const before = leftovers();
    let uploaded = "";
    let filePath: string | null = null;
    async function* batches() {
      for (let b = 0; b < 5; b++)
        yield Array.from({ length: 1000 }, (_, i) => ({ id: `gid://shopify/Customer/${b * 1000 + i}`, tags: ["t"] }));
      yield [];
    }
    const fakeFetch = (async (_url: string, init: { body: FormData }) => {
      const file = init.body.get("file") as Blob;
      uploaded = await file.text();
      filePath = (file as { name?: string }).name ?? null;
      return new Response("", { status: 201 });
    }) as unknown as typeof fetch;
    const id = await startBulkMutation(client, {
      mutation: "mutation",
      variables: batches(),
      filename: "tags.jsonl",
      clientIdentifier: "x",
      fetch: fakeFetch,
    });
    expect(id).toBe("gid://shopify/BulkOperation/1");
    const lines = uploaded.trimEnd().split("\n");
    expect(lines).toHaveLength(5000);
    expect(JSON.parse(lines[4321]!)).toEqual({ id: "gid://shopify/Customer/4321", tags: ["t"] });
    expect(filePath).toBe("tags.jsonl");
    expect(leftovers()).toEqual(before);
  });

  it("keeps only failing result lines, whatever the download's chunk boundaries", async () => {
    const lines = Array.from({ length: 3000 }, (_, n) =>
      JSON.stringify(
        n % 997 === 5
          ? { data: { tagsAdd: { userErrors: [{ message: `Kundin ${n} (Müller) gibt es nicht` }] } }, __lineNumber: n }
          : n === 2500
            ? { errors: [{ message: "Variable $id is invalid" }], __lineNumber: n }
            : { data: { tagsAdd: { node: { id: `x${n}` }, userErrors: [] } }, __lineNumber: n },
      ),
    );
    const bytes = new TextEncoder().encode(lines.join("\n") + "\n");
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        // Odd chunk sizes split lines (and multi-byte text) anywhere.
        for (let i = 0; i < bytes.length; i += 777) c.enqueue(bytes.slice(i, i + 777));
        c.close();
      },
    });
    const fakeFetch = (async () => new Response(body, { status: 200 })) as unknown as typeof fetch;
    const failures = await readBulkMutationFailures(
      { id: "op", status: "COMPLETED", url: "https://results.test/r.jsonl" } as never,
      "tagsAdd",
      fakeFetch,
    );
    expect([...failures.keys()].sort((a, b) => a - b)).toEqual([5, 1002, 1999, 2500, 2996]);
    expect(failures.get(1002)).toEqual(["Kundin 1002 (Müller) gibt es nicht"]);
    expect(failures.get(2500)).toEqual(["Variable $id is invalid"]);
  });

  it("names a result line that is not JSON", async () => {
    const fakeFetch = (async () =>
      new Response('{"data":{"tagsAdd":{"userErrors":[]}},"__lineNumber":0}\n{oops\n', { status: 200 })) as unknown as typeof fetch;
    await expect(
      readBulkMutationFailures({ id: "op", status: "COMPLETED", url: "https://r.test/x" } as never, "tagsAdd", fakeFetch),
    ).rejects.toThrow(/line 2 is not JSON/);
  });
});
