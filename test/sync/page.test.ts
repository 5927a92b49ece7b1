import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../app/db/open";
import { loadSyncPage, retrySync } from "../../app/sync/page.server";

/** The sync route's loader and action over a context (app/routes/app.sync.tsx passes the app's). */
describe("sync page", () => {
  const SHOP = "sync-page.myshopify.com";
  let db: Database;
  const sent: Array<{ queue: string; payload: unknown; key?: string }> = [];
  const ctx = () => ({
    db,
    now: () => new Date("2026-12-03T12:00:00Z"),
    queue: {
      send: async (queue: string, payload: unknown, o?: { singletonKey?: string }) => (
        sent.push({ queue, payload, key: o?.singletonKey }),
        sent.length > 1 ? null : "j1"
      ),
    },
  });
  beforeAll(async () => {
    db = openDatabase({});
    await db.ready();
  });
  afterAll(async () => db?.close());

  it("shows 'never' before any sync; Retry queues one full sync per shop and reports the status", async () => {
    expect((await loadSyncPage(ctx(), SHOP)).status).toMatchObject({ state: "never", canRetry: true });
    expect(await retrySync(ctx(), SHOP)).toMatchObject({ queued: true, status: { state: "never" } });
    // The queue refused a second job under the shop's key (one already waiting): not queued again.
    expect((await retrySync(ctx(), SHOP)).queued).toBe(false);
    expect(sent).toEqual([
      { queue: "sync.start", payload: { shop: SHOP, kind: "initial" }, key: SHOP },
      { queue: "sync.start", payload: { shop: SHOP, kind: "initial" }, key: SHOP },
    ]);
  });

  it("shows a running run with its phase", async () => {
    await db.sql.query(
      `INSERT INTO "SyncRun" (id, shop, kind, status, "startedAt", "updatedAt") VALUES ('r1', $1, 'initial', 'running', $2, $2)`,
      [SHOP, new Date("2026-12-03T11:59:00Z")],
    );
    expect((await loadSyncPage(ctx(), SHOP)).status).toMatchObject({ state: "running", runId: "r1", canRetry: false });
  });
});
