import type { PGlite, Transaction } from "@electric-sql/pglite";
import type pg from "pg";

/**
 * The raw-SQL port used for bulk writes and migrations, implemented over PGlite and node-postgres
 * with identical semantics (PostgreSQL dialect, $1 placeholders), so every query runs on both.
 */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Several statements separated by semicolons, no parameters. */
  exec(text: string): Promise<void>;
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
}

// node-postgres returns int8 as an exact string; PGlite would give a lossy number. Match pg.
const PG_COMPATIBLE_PARSERS = { 20: (v: string) => v };

export function pgliteSql(db: PGlite | Transaction): Sql {
  return {
    async query<T>(text: string, params?: unknown[]) {
      const r = await db.query<T>(text, params as never[], { parsers: PG_COMPATIBLE_PARSERS });
      return r.rows;
    },
    async exec(text: string) {
      await db.exec(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>) {
      if (!("transaction" in db)) return fn(pgliteSql(db)); // already inside one
      return (db as PGlite).transaction((tx) => fn(pgliteSql(tx)));
    },
  };
}

export function pgPoolSql(pool: pg.Pool | pg.PoolClient, inTx = false): Sql {
  return {
    async query<T>(text: string, params?: unknown[]) {
      const r = await pool.query(text, params);
      return r.rows as T[];
    },
    async exec(text: string) {
      await pool.query(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>) {
      if (inTx) return fn(pgPoolSql(pool, true));
      const client = await (pool as pg.Pool).connect();
      try {
        await client.query("BEGIN");
        const out = await fn(pgPoolSql(client, true));
        await client.query("COMMIT");
        return out;
      } catch (e) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw e;
      } finally {
        client.release();
      }
    },
  };
}
