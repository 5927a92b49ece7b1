import { afterEach, describe, expect, it } from "vitest";
import { AppError } from "../../app/lib/errors";
import { startSync } from "../../app/sync/start";
import { onBulkOperationFinished } from "../../app/sync/poll";
import { loadSyncStatus } from "../../app/sync/status";
import { compareAggregates, counts, harness, latestRun, SHOP, type Harness } from "./support";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function opsOf(hh: Harness) {
  return hh.db.sql.query<any>(
    `SELECT resource, status, "errorCode", "ingestState", partial, "linesRead" FROM "SyncBulkOperation" ORDER BY resource`,
  );
}

describe("sync failure states", () => {
  it("FAILED with partialDataUrl: ingests what is there and says the sync is partial", async () => {
    h = await harness();
    h.emu.faults.bulk(SHOP, { kind: "FAILED", errorCode: "TIMEOUT", afterRoots: 50, partial: true });
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    const run = await latestRun(h.db);
    expect(run).toMatchObject({ status: "completed", partial: true, errorCode: "TIMEOUT" });
    const ops = await opsOf(h);
    const hit = ops.find((o) => o.partial)!;
    expect(hit).toMatchObject({ status: "FAILED", errorCode: "TIMEOUT", ingestState: "done" });
    const c = await counts(h.db);
    if (hit.resource === "orders") expect(c.o).toBe(50);
    else expect(c.c).toBeGreaterThanOrEqual(50);
    // a partial sync does not advance the watermark
    expect(await h.db.sql.query(`SELECT * FROM "SyncState"`)).toEqual([]);
    const status = await loadSyncStatus(h.db.sql, SHOP);
    expect(status.state).toBe("completed");
    expect(status.error?.code).toBe("TIMEOUT");
    expect(status.partial).toBe(true);
  });

  for (const [fault, code] of [
    [{ kind: "FAILED", errorCode: "INTERNAL_SERVER_ERROR" }, "INTERNAL_SERVER_ERROR"],
    [{ kind: "CANCELED", afterRoots: 10 }, "CANCELED"],
    [{ kind: "EXPIRED" }, "EXPIRED"],
  ] as const) {
    it(`${code}: the run fails with that code, the other resource is still merged, retry is offered`, async () => {
      h = await harness();
      h.emu.faults.bulk(SHOP, fault as any);
      await startSync(h.deps, { shop: SHOP });
      await h.drain();
      const run = await latestRun(h.db);
      expect(run).toMatchObject({ status: "failed", errorCode: code });
      const ops = await opsOf(h);
      expect(ops.filter((o) => o.ingestState === "failed")).toHaveLength(1);
      expect(ops.filter((o) => o.ingestState === "done")).toHaveLength(1);
      const status = await loadSyncStatus(h.db.sql, SHOP);
      expect(status.state).toBe("failed");
      expect(status.error).toMatchObject({ code });
      expect(status.canRetry).toBe(true);
      // Retry: a new full sync completes and everything is exact.
      await startSync(h.deps, { shop: SHOP });
      await h.drain();
      expect(await latestRun(h.db)).toMatchObject({ status: "completed", partial: false });
      expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
    });
  }

  // Without read_all_orders Shopify serves 60 days of orders silently (no ACCESS_DENIED):
  // test/release/history-depth.test.ts covers what the app then tells the merchant.

  it("download cut mid-file: retries with a fresh URL, resumes after the last committed line, exact counts", async () => {
    h = await harness();
    h.emu.faults.truncateDownloads(5000, 3);
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    expect(await latestRun(h.db)).toMatchObject({ status: "completed", partial: false });
    expect(h.sleeps.length).toBeGreaterThanOrEqual(3);
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
    expect((await counts(h.db)).o).toBe(h.emu.shop(SHOP).orderCount());
  });

  it("throttled: waits what the bucket needs and retries", async () => {
    h = await harness();
    h.emu.faults.throttle(SHOP, 2);
    await startSync(h.deps, { shop: SHOP });
    expect(h.sleeps.length).toBe(2);
    expect(h.sleeps.every((ms) => ms > 0 && ms < 60_000)).toBe(true);
    await h.drain();
    expect(await latestRun(h.db)).toMatchObject({ status: "completed" });
  });

  it("throttled beyond the retry budget: a THROTTLED error with a retry hint", async () => {
    h = await harness();
    h.emu.faults.throttle(SHOP, 20);
    const client = await h.deps.client(SHOP);
    const err: any = await client.request(`query Shop { shop { name } }`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: "THROTTLED", retryable: true });
    expect(err.retryAfterMs).toBeGreaterThan(0);
  });

  it("no finish webhook: polling finds the finished operations; a (duplicate) webhook enqueues one ingestion per operation", async () => {
    h = await harness();
    h.emu.faults.bulk(SHOP, { kind: "webhook", mode: "never" });
    const { runId } = await startSync(h.deps, { shop: SHOP });
    await h.emu.bulk.idle();
    const ops = await h.db.sql.query<{ id: string }>(`SELECT id FROM "SyncBulkOperation" WHERE "runId" = $1`, [runId]);
    for (const op of ops) {
      expect(await onBulkOperationFinished(h.deps, { shop: SHOP, bulkId: op.id })).toBe(true);
      expect(await onBulkOperationFinished(h.deps, { shop: SHOP, bulkId: op.id })).toBe(true);
    }
    expect(await onBulkOperationFinished(h.deps, { shop: SHOP, bulkId: "gid://shopify/BulkOperation/1" })).toBe(false);
    const ingests = h.sent.filter((s) => s.queue === "sync.ingest");
    expect(new Set(ingests.map((s) => s.opts?.singletonKey))).toEqual(new Set(ops.map((o) => o.id)));
    await h.drain();
    expect(await latestRun(h.db)).toMatchObject({ status: "completed" });
    expect((await compareAggregates(h.emu, h.db)).problems).toEqual([]);
  });

  it("polling backs off while Shopify is still exporting", async () => {
    h = await harness({ emulator: { bulkTiming: { startDelayMs: 2, rootsPerTick: 20, tickDelayMs: 30 } }, deps: { pollDelayMs: 1000 } });
    await startSync(h.deps, { shop: SHOP });
    const { pollSync } = await import("../../app/sync/poll");
    const runId = (await latestRun(h.db)).id;
    h.sent.length = 0;
    expect(await pollSync(h.deps, { runId })).toBe("waiting");
    expect(await pollSync(h.deps, { runId })).toBe("waiting");
    const polls = h.sent.filter((s) => s.queue === "sync.poll").map((s) => s.opts!.runAt!.getTime() - Date.now());
    expect(polls[1]! - polls[0]!).toBeGreaterThan(500); // 2 s after the first, 4 s after the second
    await h.emu.bulk.idle();
    await h.drain();
    expect(await latestRun(h.db)).toMatchObject({ status: "completed" });
  });
});
