// The dashboard's Retry for consent updates Shopify rejected (ADR 074), through the real route with
// a session token, the app's own job queue (the "Job" table), and the messaging feature's hooks.
import { beforeAll, describe, expect, it } from "vitest";
import { appRequest as req, setAppEnv, settle, TEST_APP } from "../support/app-env";

setAppEnv();

const { action: homeAction } = await import("../../app/routes/app._index");
const { database } = await import("../../app/db.server");
const { env } = await import("../../app/env.server");
const messagingFeature = (await import("../../app/app.server")).features.find((f) => f.name === "messaging")!;
const { CONSENT_AUTO_RETRY_LIMIT, CONSENT_JOB, requeueConsentUpdates } = await import("../../app/messaging/unsubscribe");

const SHOP = TEST_APP.shop;

async function suppression(
  customerId: string,
  o: { source?: string; error?: string | null; errorAt?: Date | null; attempts?: number; synced?: Date | null },
) {
  await database.sql.query(
    `INSERT INTO "EmailSuppression" (shop, "customerId", source, at, "shopifyError", "shopifyErrorCode", "shopifyErrorAt", "shopifyAttempts", "shopifySyncedAt")
     VALUES ($1, $2, $3, now(), $4, $5, $6, $7, $8)`,
    [
      SHOP,
      customerId,
      o.source ?? "one_click",
      o.error ?? null,
      o.error ? "MISSING_ARGUMENT" : null,
      o.errorAt ?? null,
      o.attempts ?? 0,
      o.synced ?? null,
    ],
  );
}

async function queuedConsentJobs(): Promise<string[]> {
  const rows = await database.sql.query<{ data: { customerId: string } }>(
    `SELECT payload AS data FROM "Job" WHERE queue = $1 AND state = 'created'`,
    [CONSENT_JOB],
  );
  return rows.map((r) => (typeof r.data === "string" ? JSON.parse(r.data) : r.data).customerId).sort();
}

beforeAll(async () => {
  await database.ready();
  await database.prisma.session.create({
    data: {
      id: `offline_${SHOP}`,
      shop: SHOP,
      state: "s",
      isOnline: false,
      scope: env().SCOPES,
      accessToken: "shpat_test",
      expires: new Date(Date.now() + 86_400_000),
    },
  });
  const longAgo = new Date(Date.now() - 3 * 86_400_000);
  await suppression("101", { error: "Marketing opt in level must exist", errorAt: longAgo, attempts: 1 });
  await suppression("102", { error: "Customer not found", errorAt: longAgo, attempts: CONSENT_AUTO_RETRY_LIMIT });
  await suppression("103", { error: "Marketing opt in level must exist", errorAt: new Date(), attempts: 1 });
  await suppression("104", {}); // never confirmed, job lost
  await suppression("105", { source: "bounce" }); // not a withdrawal of consent
  await suppression("106", { synced: new Date(), attempts: 1 }); // done
});

describe("consent updates Shopify has not confirmed", () => {
  it("the daily hook re-queues old rejections and lost jobs, not fresh ones, exhausted ones, bounces or confirmed ones", async () => {
    await messagingFeature.onSyncCompleted!(SHOP);
    expect(await queuedConsentJobs()).toEqual(["101", "104"]);
  });

  it("the dashboard's Retry queues every unconfirmed withdrawal, past the automatic limit, once", async () => {
    const res = await settle(
      homeAction({ request: req("/app", { method: "POST", form: { intent: "retry-consent" } }), params: {}, context: {} }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ queued: 4 });
    // One job per customer: the singleton key of the first send.
    expect(await queuedConsentJobs()).toEqual(["101", "102", "103", "104"]);
    const bad = await settle(homeAction({ request: req("/app", { method: "POST", form: { intent: "nope" } }), params: {}, context: {} }));
    expect(bad.status).toBe(400);
    const anon = await settle(
      homeAction({ request: req("/app", { method: "POST", form: { intent: "retry-consent" }, token: false }), params: {}, context: {} }),
    );
    expect(anon.status).not.toBe(200);
  });

  it("automatic retries stop at the limit", async () => {
    const sent: string[] = [];
    const queue = { send: async (_q: string, d: { customerId: string }) => (sent.push(d.customerId), "j") };
    await requeueConsentUpdates({ sql: database.sql, queue: queue as never }, SHOP, {});
    expect(sent.sort()).toEqual(["101", "103", "104"]);
  });
});
