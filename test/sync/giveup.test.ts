import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DbJobQueue } from "../../app/jobs/db-queue";
import type { SyncDeps } from "../../app/sync/context";
import { syncJobDefinitions } from "../../app/sync/jobs";
import { requestSync, startSync, MAX_THROTTLED_LAUNCHES } from "../../app/sync/start";
import { compareAggregates, harness, latestRun, SHOP, type Harness } from "./support";
import { until } from "../support/until";

/**
 * Issue 16, finding 2 (second half): when the sync's job gave up, the run stayed `running` forever
 * and every later sync joined that dead run. A job that fails for good fails its run.
 */
describe("a sync job that fails for good", () => {
  let h: Harness;
  let q: DbJobQueue;
  beforeAll(async () => {
    h = await harness({ seed: { seed: 5, customers: 30, years: 1 } });
  });
  afterAll(async () => {
    await q?.stop();
    await h?.close();
  });

  it("five failed ingestions mark the run failed with the error; the next sync is accepted and completes", async () => {
    let broken = true;
    const deps = (): SyncDeps => ({
      ...h.deps,
      queue: q,
      pollDelayMs: 1,
      // Every download fails (a plain error: not a network error the download itself would retry).
      fetch: async (input, init) => {
        if (broken) throw Object.assign(new Error("storage says no"), { code: "EACCES" });
        return fetch(input, init);
      },
    });
    // Retries are due at once: the queue's clock runs an hour ahead of the back-off delays.
    q = new DbJobQueue(h.db.sql, syncJobDefinitions(deps), { pollMs: 20, concurrency: 2, now: () => new Date(Date.now() + 3600_000) });
    await q.start();
    expect(await requestSync(deps(), SHOP)).toEqual({ queued: true });
    const run = await until("the run to fail", async () => {
      const r = await latestRun(h.db);
      return r?.status === "failed" ? r : null;
    });
    expect(run.errorCode).toBe("NETWORK");
    expect(run.errorMessage).toMatch(/storage says no/);
    const failedIngests = await h.db.sql.query<any>(`SELECT attempts FROM "Job" WHERE queue = 'sync.ingest' AND state = 'failed'`);
    expect(failedIngests.length).toBeGreaterThanOrEqual(1);
    expect(failedIngests.every((j) => j.attempts === 5)).toBe(true);
    expect((await h.db.sql.query<any>(`SELECT count(*)::int n FROM "SyncStageOrder"`))[0].n).toBe(0);

    broken = false;
    await until("the start queue to be free", async () => (await requestSync(deps(), SHOP)).queued);
    const next = await until("a new run to complete", async () => {
      const r = await latestRun(h.db);
      return r && r.id !== run.id && r.status === "completed" ? r : null;
    });
    expect(next.status).toBe("completed");
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
  });
});

/**
 * Issue 16, finding 9: after a storm of 30 throttled answers the initial sync failed and nothing
 * retried until the 6-hourly sync, though the page says it "continues by itself".
 * Emulator fault {type: "throttle", shop, times: 30}: the next 30 Admin API requests answer THROTTLED.
 */
describe("an initial sync during a throttling storm", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness({ seed: { seed: 9, customers: 40, years: 1 } });
  });
  afterAll(async () => h?.close());

  it("stays running (THROTTLED, retrying) and completes by itself once the throttle clears", async () => {
    h.emu.faults.throttle(SHOP, 30);
    const before = Date.now();
    const r = await startSync(h.deps, { shop: SHOP, kind: "initial" });
    expect(r.started).toBe(true);
    const during = await latestRun(h.db);
    expect(during).toMatchObject({ status: "running", errorCode: "THROTTLED", launchAttempts: 1 });
    expect(during.errorMessage).toMatch(/starts again by itself/);
    // The relaunch is a scheduled job (later than the launch began), not an immediate loop.
    const relaunch = h.sent.find((s) => s.queue === "sync.poll" && String(s.opts?.singletonKey).includes(":launch:"));
    expect(relaunch?.opts?.runAt?.getTime()).toBeGreaterThan(before);
    await h.drain();
    const done = await latestRun(h.db);
    expect(done).toMatchObject({ id: r.runId, status: "completed", errorCode: null, errorMessage: null });
    expect(done.launchAttempts).toBeGreaterThan(1);
    expect(done.launchAttempts).toBeLessThan(MAX_THROTTLED_LAUNCHES);
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
  });

  it("a throttle that never clears fails the run after the launch attempts, saying so", async () => {
    const other = await harness({ seed: { seed: 3, customers: 10, years: 1 } });
    try {
      other.emu.faults.throttle(SHOP, 100_000);
      await startSync(other.deps, { shop: SHOP, kind: "initial" });
      await other.drain();
      const run = await latestRun(other.db);
      expect(run).toMatchObject({ status: "failed", errorCode: "THROTTLED", launchAttempts: MAX_THROTTLED_LAUNCHES - 1 });
    } finally {
      await other.close();
    }
  });
});
