import { mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { initialiseDataDir, openDatabase } from "../../app/db/open";

// Issue 14 item 4: the embedded default must stay light. initdb runs in a child process (its WASM
// memory would otherwise stay in the server for good) and PGlite runs with small buffers. The memory
// figures themselves are printed by bench/embedded-memory.ts, never asserted here.
describe("embedded PGlite data directory", () => {
  const root = mkdtempSync(path.join(tmpdir(), "winback-pglite-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("creates a new data directory outside the process, then opens it with small buffers", async () => {
    const dir = path.join(root, "fresh");
    initialiseDataDir(dir);
    expect(existsSync(path.join(dir, "PG_VERSION"))).toBe(true);
    const db = openDatabase({ dataDir: dir });
    try {
      await db.ready();
      const rows = await db.sql.query<{ name: string; setting: string; unit: string }>(
        `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'temp_buffers')`,
      );
      const kb = Object.fromEntries(rows.map((r) => [r.name, Number(r.setting) * (r.unit === "8kB" ? 8 : 1)]));
      expect(kb.shared_buffers).toBe(16 * 1024);
      expect(kb.temp_buffers).toBe(2 * 1024);
      // the migrations ran: the app's tables exist
      const t = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'Shop'`);
      expect(t[0]!.n).toBe(1);
    } finally {
      await db.close();
    }
  });

  it("leaves an existing data directory and its data alone", async () => {
    const dir = path.join(root, "kept");
    let db = openDatabase({ dataDir: dir });
    await db.ready();
    await db.sql.query(`CREATE TABLE kept_probe (v int)`);
    await db.sql.query(`INSERT INTO kept_probe VALUES (7)`);
    await db.close();
    initialiseDataDir(dir);
    db = openDatabase({ dataDir: dir });
    try {
      const rows = await db.sql.query<{ v: number }>(`SELECT v FROM kept_probe`);
      expect(rows.map((r) => r.v)).toEqual([7]);
    } finally {
      await db.close();
    }
  });
});
