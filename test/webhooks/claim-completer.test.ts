import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimDelivery, createClaimCompleter, DEFAULT_CLAIM_LEASE_MS } from "../../app/webhooks/claims";
import type { Sql } from "../../app/db/sql";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";

/**
 * Claims complete in group commits (docs/decisions/108-webhook-storm.md): many deliveries finishing
 * at once share UPDATE statements, each completion is committed before its delivery is answered,
 * and each claim keeps its own completion time.
 */
const S = "claims.myshopify.com";

describe.each(databaseKinds)("claim completions in group commits (%s)", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => t?.drop());

  it("120 simultaneous completions: every claim done with its own time, in fewer statements", async () => {
    const opts = { now: () => new Date(), leaseMs: DEFAULT_CLAIM_LEASE_MS };
    const claims = [];
    for (let i = 0; i < 120; i++) {
      const r = await claimDelivery(t.db.sql, { webhookId: `gc-${i}`, shop: S, topic: "ORDERS_CREATE", eventId: `ev-${i}` }, opts);
      if (r.kind !== "claimed") throw new Error(r.kind);
      claims.push(r.claim);
    }
    let statements = 0;
    const counting: Sql = { ...t.db.sql, query: (text, params) => (statements++, t.db.sql.query(text, params)) };
    const complete = createClaimCompleter();
    const base = Date.UTC(2026, 11, 4, 12);
    await Promise.all(claims.map((c, i) => complete(counting, c, new Date(base + i * 1000))));
    expect(statements).toBeLessThan(120);
    const rows = await t.db.sql.query<{ id: string; at: string }>(
      `SELECT "webhookId" AS id, to_char("completedAt", 'YYYY-MM-DD"T"HH24:MI:SS') AS at FROM "WebhookEvent" WHERE shop = $1 ORDER BY "completedAt"`,
      [S],
    );
    expect(rows).toHaveLength(120);
    rows.forEach((r, i) => {
      expect(r.id).toBe(`gc-${i}`);
      expect(r.at).toBe(new Date(base + i * 1000).toISOString().slice(0, 19));
    });
    // A duplicate of a completed delivery is done.
    expect((await claimDelivery(t.db.sql, { webhookId: "gc-7", shop: S, topic: "ORDERS_CREATE", eventId: "ev-7" }, opts)).kind).toBe(
      "done",
    );
  });
});
