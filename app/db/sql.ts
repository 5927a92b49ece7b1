import type { PGlite, Transaction } from "@electric-sql/pglite";
import type pg from "pg";
import { from as copyFromStream } from "pg-copy-streams";
import { stripNul } from "../lib/text";

/**
 * The raw-SQL port through which the app reads and writes its own tables and applies migrations
 * (docs/decisions/008-raw-sql-over-prisma-client.md), implemented over PGlite and node-postgres
 * with identical semantics (PostgreSQL dialect, $1 placeholders), so every query runs on both.
 */
export interface Sql {
  /**
   * "postgres": a pool, so other connections go on while a transaction is open; "pglite": one
   * connection, so a long transaction holds up every other query of the app.
   */
  readonly engine: "pglite" | "postgres";
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Several statements separated by semicolons, no parameters. */
  exec(text: string): Promise<void>;
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Bulk load with COPY: `rows` is PostgreSQL's text format (tab-separated columns, `\N` for null,
   * one row per line; see copyText). Several times faster than INSERT for large batches.
   */
  copyFrom(table: string, columns: string[], rows: string): Promise<void>;
}

/** PostgreSQL's unique_violation (23505), from either driver. */
export const isUniqueViolation = (e: unknown) => (e as { code?: string } | null)?.code === "23505";

/**
 * A value as one column of COPY's text format (backslash, tab and line breaks escaped). NUL is
 * removed (app/lib/text.ts): the parse boundaries already strip it, and this second line of
 * defence keeps one stray byte from failing a whole COPY batch.
 */
export function copyText(value: string | null | undefined): string {
  if (value == null) return "\\N";
  const v = stripNul(value);
  return COPY_SPECIAL.test(v) ? v.replace(COPY_SPECIAL_G, (c) => COPY_ESCAPES[c]!) : v;
}
const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_G = /[\\\t\n\r]/g;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

const copyStatement = (table: string, columns: string[], source: string) =>
  `COPY "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) FROM ${source}`;

// node-postgres returns int8 as an exact string; PGlite would give a lossy number. Match pg.
const PG_COMPATIBLE_PARSERS = { 20: (v: string) => v };

export function pgliteSql(db: PGlite | Transaction): Sql {
  return {
    engine: "pglite",
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
    async copyFrom(table, columns, rows) {
      if (!rows.length) return;
      // PGlite reads COPY input from the query's attached blob, exposed as /dev/blob.
      await db.query(copyStatement(table, columns, "'/dev/blob'"), [], { blob: new Blob([rows]) });
    },
  };
}

export function pgPoolSql(pool: pg.Pool | pg.PoolClient, inTx = false): Sql {
  const self: Sql = {
    engine: "postgres",
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
    async copyFrom(table, columns, rows) {
      if (!rows.length) return;
      if (!inTx) return self.transaction((tx) => tx.copyFrom(table, columns, rows));
      const stream = (pool as pg.PoolClient).query(copyFromStream(copyStatement(table, columns, "STDIN")));
      await new Promise<void>((resolve, reject) => {
        stream.on("error", reject);
        stream.on("finish", resolve);
        stream.end(rows);
      });
    },
  };
  return self;
}
