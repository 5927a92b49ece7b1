import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DbJobQueue } from "../../app/jobs/db-queue";
import type { SyncDeps } from "../../app/sync/context";
import { syncJobDefinitions } from "../../app/sync/jobs";
import { ensureInitialSync, requestSync } from "../../app/sync/start";
import { compareAggregates, harness, latestRun, SHOP, type Harness } from "./support";

/** The embedded deployment: the in-process DB queue runs the whole sync, webhooks never arrive. */
describe("sync on the in-process job queue", () => {
  let h: Harness;
  let q: DbJobQueue;
  beforeAll(async () => {
    h = await harness({ emulator: { bulkTiming: { startDelayMs: 50, rootsPerTick: 50, tickDelayMs: 20 } } });
  });
  afterAll(async () => {
    await q?.stop();
    await h?.close();
  });

  it("install hook enqueues the first sync once; polling (re-scheduling itself) carries it to completion", async () => {
    const deps = (): SyncDeps => ({ ...h.deps, queue: q, pollDelayMs: 100, maxPollDelayMs: 400 });
    q = new DbJobQueue(h.db.sql, syncJobDefinitions(deps), { pollMs: 50, concurrency: 2 });
    expect(await ensureInitialSync(deps(), SHOP)).toBe("enqueued");
    expect(await requestSync(deps(), SHOP)).toEqual({ queued: false }); // already queued
    await q.start();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && (await latestRun(h.db))?.status !== "completed") await new Promise((r) => setTimeout(r, 100));
    expect(await latestRun(h.db)).toMatchObject({ status: "completed" });
    const polls = await h.db.sql.query<{ n: number }>(`SELECT count(*)::int n FROM "Job" WHERE queue = 'sync.poll'`);
    expect(polls[0]!.n).toBeGreaterThanOrEqual(2);
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
    expect(await ensureInitialSync(deps(), SHOP)).toBe("nothing");
    const delta = await h.db.sql.query<any>(`SELECT "runAt" FROM "Job" WHERE queue = 'sync.delta' AND state = 'created'`);
    expect(delta).toHaveLength(1);
    expect(new Date(delta[0].runAt).getTime()).toBeGreaterThan(Date.now() + 5 * 3600_000);
  });
});
