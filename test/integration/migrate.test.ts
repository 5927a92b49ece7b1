import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listMigrations, migrate } from "../../app/db/migrate";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";

describe.each(databaseKinds)("migration runner on %s", (kind) => {
  let t: TestDb | undefined;
  afterEach(async () => {
    await t?.drop();
    t = undefined;
  });

  it("records every migration the way Prisma's schema engine does", async () => {
    t = await createTestDb(kind, { migrate: false });
    const result = await t.db.ready();
    const files = await listMigrations();
    expect(result.applied).toEqual(files.map((f) => f.name));
    const rows = await t.db.sql.query<{
      id: string;
      checksum: string;
      migration_name: string;
      finished_at: Date | null;
      started_at: Date;
      applied_steps_count: number;
      logs: string | null;
      rolled_back_at: Date | null;
    }>(`SELECT * FROM "_prisma_migrations" ORDER BY migration_name`);
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const [i, r] of rows.entries()) {
      expect(r.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.checksum).toBe(createHash("sha256").update(files[i]!.sql).digest("hex"));
      expect(r.finished_at).toBeInstanceOf(Date);
      expect(r.applied_steps_count).toBe(1);
      expect(r.logs).toBeNull();
      expect(r.rolled_back_at).toBeNull();
    }
    // Column types are Prisma's, so `prisma migrate deploy` reads the table as its own.
    const cols = await t.db.sql.query<{ column_name: string; data_type: string; character_maximum_length: number | null }>(
      `SELECT column_name, data_type, character_maximum_length FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(cols.map((c) => `${c.column_name}:${c.data_type}:${c.character_maximum_length ?? ""}`)).toEqual([
      "id:character varying:36",
      "checksum:character varying:64",
      "finished_at:timestamp with time zone:",
      "migration_name:character varying:255",
      "logs:text:",
      "rolled_back_at:timestamp with time zone:",
      "started_at:timestamp with time zone:",
      "applied_steps_count:integer:",
    ]);
  });

  it("is idempotent and the Prisma client works on the result", async () => {
    t = await createTestDb(kind);
    const again = await migrate(t.db.sql);
    expect(again.applied).toEqual([]);
    await t.db.prisma.shop.create({ data: { domain: "a.myshopify.com" } });
    expect(await t.db.prisma.shop.count()).toBe(1);
  });

  it("keeps a failed migration's error in logs, leaves the schema untouched and refuses to go on", async () => {
    t = await createTestDb(kind);
    const dir = mkdtempSync(path.join(tmpdir(), "mig-"));
    cpSync(path.resolve("prisma/migrations"), dir, { recursive: true });
    mkdirSync(path.join(dir, "29990101000000_broken"));
    writeFileSync(path.join(dir, "29990101000000_broken", "migration.sql"), `CREATE TABLE "Half" (id INT);\nSELECT no_such_function();\n`);
    await expect(migrate(t.db.sql, dir)).rejects.toThrow(/29990101000000_broken failed/);
    const [row] = await t.db.sql.query<{ finished_at: Date | null; logs: string }>(
      `SELECT finished_at, logs FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`,
    );
    expect(row!.finished_at).toBeNull();
    expect(row!.logs).toMatch(/no_such_function/);
    const half = await t.db.sql.query(`SELECT to_regclass('"Half"') AS t`);
    expect((half[0] as { t: unknown }).t).toBeNull();
    await expect(migrate(t.db.sql, dir)).rejects.toThrow(/failed earlier and is not resolved/);
  });
});
