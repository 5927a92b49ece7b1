import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgBossJobQueue } from "../../app/jobs/pgboss-queue";
import type { SyncDeps } from "../../app/sync/context";
import { syncJobDefinitions } from "../../app/sync/jobs";
import { startSync } from "../../app/sync/start";
import { createTestDb, type TestDb } from "../support/db";
import { compareAggregates, counts, harness, SHOP, type Harness } from "./support";

/** PostgreSQL deployment: pg-boss with several workers still runs one sync per shop. */
describe.skipIf(!process.env.TEST_DATABASE_URL)("sync on PostgreSQL with pg-boss", () => {
  let t: TestDb;
  let h: Harness;
  const queues: PgBossJobQueue[] = [];
  beforeAll(async () => {
    t = await createTestDb("postgres");
    h = await harness({ db: t.db });
  });
  afterAll(async () => {
    for (const q of queues) await q.stop().catch(() => undefined);
    await h?.close();
    await t?.drop();
  });

  it("concurrent starts claim one run (advisory lock), the others join it", async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => startSync(h.deps, { shop: "other-shop.myshopify.com" }).catch((e) => e)),
    );
    // other-shop is unknown to the emulator: the run fails, but exactly one was started
    expect(results.filter((r) => r.started === true)).toHaveLength(1);
    expect(new Set(results.map((r) => r.runId)).size).toBe(1);
  });

  it("two workers, many sync.start sends: one run, two bulk queries, exact data", async () => {
    const workers = [0, 1].map(() => {
      // deps() is called by the jobs only, after q exists.
      const deps = (): SyncDeps => ({ ...h.deps, queue: q, pollDelayMs: 500 });
      const q = new PgBossJobQueue(t.url!, syncJobDefinitions(deps), { sql: t.db.sql, pollSeconds: 0.5 });
      queues.push(q);
      return q;
    });
    for (const w of workers) await w.start();
    const sends = await Promise.all(
      workers.flatMap((w) => Array.from({ length: 4 }, () => w.send("sync.start", { shop: SHOP }, { singletonKey: SHOP }))),
    );
    expect(sends.filter((id) => id !== null).length).toBeGreaterThanOrEqual(1);
    const deadline = Date.now() + 90_000;
    let run: any;
    while (Date.now() < deadline) {
      run = (await t.db.sql.query<any>(`SELECT status FROM "SyncRun" WHERE shop = $1`, [SHOP]))[0];
      if (run && run.status !== "running") break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(run?.status).toBe("completed");
    expect(await t.db.sql.query(`SELECT id FROM "SyncRun" WHERE shop = $1`, [SHOP])).toHaveLength(1);
    expect(h.emu.bulk.ops.filter((o) => o.shop === SHOP)).toHaveLength(2);
    expect((await counts(t.db)).o).toBe(h.emu.shop(SHOP).orderCount());
    expect((await compareAggregates(h.emu, t.db)).problems).toEqual([]);
  });
});
