import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { AppError } from "../lib/errors";
import type { Sql } from "./sql";

/**
 * Applies prisma/migrations/<name>/migration.sql in lexical order and records each one in
 * `_prisma_migrations` exactly as Prisma's schema engine does (PostgreSQL flavour), so that
 * `prisma migrate deploy` on a machine with the engine sees them as applied. See
 * docs/decisions/001-own-migration-runner.md.
 */
export const MIGRATIONS_TABLE_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

// Arbitrary constant: serialises concurrent runners (several app instances starting at once).
const LOCK_KEY = 72707369;

export const DEFAULT_MIGRATIONS_DIR = path.resolve(process.cwd(), "prisma/migrations");

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

export async function listMigrations(dir = DEFAULT_MIGRATIONS_DIR) {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

export async function migrate(sql: Sql, dir = DEFAULT_MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = await listMigrations(dir);
  await sql.exec(MIGRATIONS_TABLE_DDL);
  const result: MigrationResult = { applied: [], alreadyApplied: [] };
  for (const m of migrations) {
    // One transaction per migration (PostgreSQL DDL is transactional): a failure leaves the schema
    // as it was, and the lock makes a second instance starting at the same time wait, then skip.
    let error: unknown;
    const outcome = await sql
      .transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock($1)", [LOCK_KEY]);
        const rows = await tx.query<{ checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
          `SELECT checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE migration_name = $1`,
          [m.name],
        );
        if (rows.some((r) => r.finished_at && !r.rolled_back_at)) {
          if (!rows.some((r) => r.checksum === m.checksum)) {
            console.warn(`[migrate] ${m.name} was modified after it was applied (checksum differs)`);
          }
          return "skipped" as const;
        }
        if (rows.some((r) => !r.finished_at && !r.rolled_back_at)) {
          // Same rule as Prisma (P3009): a failed migration must be resolved by a human first.
          throw new AppError("CONFIG", `Migration ${m.name} failed earlier and is not resolved; fix it and mark it rolled back.`);
        }
        const id = randomUUID();
        await tx.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)`,
          [id, m.checksum, m.name],
        );
        await tx.exec(m.sql);
        await tx.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [id]);
        return "applied" as const;
      })
      .catch((e: unknown) => {
        error = e;
        return "failed" as const;
      });
    if (outcome === "failed") {
      if (error instanceof AppError) throw error;
      // Record the failure the way Prisma does: a row with logs and no finished_at.
      await sql.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, applied_steps_count) VALUES ($1, $2, $3, $4, now(), 0)`,
        [randomUUID(), m.checksum, m.name, String((error as Error)?.message ?? error)],
      );
      throw new AppError("CONFIG", `Migration ${m.name} failed: ${(error as Error)?.message ?? error}`, { cause: error });
    }
    (outcome === "applied" ? result.applied : result.alreadyApplied).push(m.name);
  }
  return result;
}
