import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../app/db/open";
import { startSync } from "../../app/sync/start";
import { compareAggregates, counts, expectedLineCount, harness, latestRun, SHOP, type Harness } from "./support";

const CHILD = path.resolve("test/sync/fixtures/ingest-child.ts");

function runChild(
  env: Record<string, string>,
  killAfterCheckpoints?: number,
): Promise<{ code: number | null; signal: string | null; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines: string[] = [];
    let checkpoints = 0;
    createInterface({ input: child.stdout! }).on("line", (l) => {
      lines.push(l);
      if (l.startsWith("checkpoint") && killAfterCheckpoints && ++checkpoints === killAfterCheckpoints) child.kill("SIGKILL");
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve({ code, signal, lines }));
  });
}

describe("killed mid-ingestion", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "winback-resume-"));
  let h: Harness;
  let db: Database;
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("kill -9 mid-stream, restart: resumes from the last committed batch, nothing partial visible, exact counts", async () => {
    db = openDatabase({ dataDir: dir });
    h = await harness({ db, seed: { seed: 21, customers: 400, years: 2 } });
    const { runId } = await startSync(h.deps, { shop: SHOP });
    await h.emu.bulk.idle();
    const ops = await db.sql.query<{ id: string; resource: string }>(
      `SELECT id, resource FROM "SyncBulkOperation" WHERE "runId" = $1 ORDER BY resource DESC`,
      [runId],
    );
    await db.close(); // PGlite: one process at a time

    const env = { DATA_DIR: dir, EMU_URL: h.emu.url, TOKEN: h.token, BULK_IDS: ops.map((o) => o.id).join(","), BATCH_LINES: "150" };
    const killed = await runChild({ ...env, SLOW_MS: "30" }, 4);
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.lines.filter((l) => l.startsWith("checkpoint"))).toHaveLength(4);

    db = openDatabase({ dataDir: dir });
    await db.ready();
    const mid = await counts(db);
    expect(mid.so).toBeGreaterThan(0); // staged ...
    expect(mid.o).toBe(0); // ... but nothing visible to the app
    expect(mid.c).toBe(0);
    expect((await latestRun(db)).status).toBe("running");
    const checkpoint = (
      await db.sql.query<{ linesRead: number }>(`SELECT "linesRead" FROM "SyncBulkOperation" WHERE id = $1`, [ops[0]!.id])
    )[0]!.linesRead;
    expect(checkpoint).toBeGreaterThanOrEqual(4 * 150 - 150);
    await db.close();

    const resumed = await runChild(env);
    expect(resumed.code).toBe(0);
    // the resumed run starts after the checkpoint, not at line 0
    const first = resumed.lines.find((l) => l.startsWith(`checkpoint ${ops[0]!.id}`))!;
    expect(Number(first.split(" ")[2])).toBeGreaterThan(checkpoint);

    db = openDatabase({ dataDir: dir });
    await db.ready();
    const end = await counts(db);
    const shop = h.emu.shop(SHOP);
    expect(end.o).toBe(shop.orderCount());
    expect(end.l).toBe(expectedLineCount(h.emu));
    expect(end.c).toBe(shop.customerCount());
    expect([end.so, end.sl, end.sc]).toEqual([0, 0, 0]);
    expect(await latestRun(db)).toMatchObject({ status: "completed", partial: false });
    expect((await compareAggregates(h.emu, db)).problems).toEqual([]);
    await db.close();
  });
});
