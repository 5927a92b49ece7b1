import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import pg from "pg";
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
  const lite = new PGlite(opts.dataDir);
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
