import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import pg from "pg";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { migrate, type MigrationResult } from "./migrate";
import { pgliteSql, pgPoolSql, type Sql } from "./sql";

export interface Database {
  kind: "pglite" | "postgres";
  prisma: PrismaClient;
  sql: Sql;
  /** Applies pending migrations once; later calls share the same promise. */
  ready(): Promise<MigrationResult>;
  close(): Promise<void>;
}

/**
 * Opens either database behind the same two handles. `sql` (app/db/sql.ts) carries the app's own
 * reads and writes and the migrations; `prisma` serves Shopify's session storage and a few
 * single-row calls in install.server.ts and compliance.server.ts (ADR 008). The two never share a
 * transaction: on PostgreSQL each has its own pool, on PGlite both wait on its one connection.
 * `dataDir` undefined with no url gives an in-memory PGlite (tests).
 */
export function openDatabase(opts: { url?: string; dataDir?: string; migrationsDir?: string }): Database {
  let readyPromise: Promise<MigrationResult> | undefined;
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: 10 });
    // An idle connection the server closes (restart, failover, admin termination) errors on the pool;
    // unhandled, that would crash the process. The pool drops the client and the next query reconnects.
    pool.on("error", (e) => console.warn(`[db] idle connection closed by the server: ${e.message}`));
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: opts.url }) });
    const sql = pgPoolSql(pool);
    return {
      kind: "postgres",
      prisma,
      sql,
      ready: () => (readyPromise ??= migrate(sql, opts.migrationsDir)),
      async close() {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  }
  if (opts.dataDir) initialiseDataDir(opts.dataDir);
  const lite = new PGlite(opts.dataDir, { postgresqlconf: PGLITE_CONF });
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  const sql = pgliteSql(lite);
  return {
    kind: "pglite",
    prisma,
    sql,
    ready: () => (readyPromise ??= migrate(sql, opts.migrationsDir)),
    async close() {
      await prisma.$disconnect();
      await lite.close();
    },
  };
}

/**
 * PostgreSQL's defaults assume a dedicated server (shared_buffers 128 MB and more); inside the app's
 * process every buffer page PGlite touches stays resident in its WASM memory, which never shrinks.
 * The embedded default serves one shop's working set, so small buffers cost no measurable speed
 * (bench: docs/decisions/012-embedded-database-memory.md) and keep the demo's process small.
 */
export const PGLITE_CONF = ["shared_buffers=16MB", "temp_buffers=2MB", "wal_buffers=1MB", "maintenance_work_mem=16MB"];

/**
 * A new PGlite data directory is created by initdb, which runs in a second WASM instance whose memory
 * (about 500 MB resident) the process keeps until it exits. The app runs it once in a short-lived
 * child process, so the server opens an existing directory and never carries initdb's memory.
 */
export function initialiseDataDir(dir: string): void {
  if (existsSync(path.join(dir, "PG_VERSION"))) return;
  mkdirSync(dir, { recursive: true });
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  execFileSync(process.execPath, ["-e", INIT_SCRIPT], {
    env: { ...process.env, PGLITE_ENTRY: entry, PGLITE_DIR: dir },
    stdio: ["ignore", "inherit", "inherit"],
  });
}

const INIT_SCRIPT = `const { PGlite } = require(process.env.PGLITE_ENTRY);
const db = new PGlite(process.env.PGLITE_DIR);
db.waitReady.then(() => db.close()).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });`;
