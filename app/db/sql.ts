import type { PGlite, Transaction } from "@electric-sql/pglite";
import type pg from "pg";
import { from as copyFromStream } from "pg-copy-streams";
import { AppError } from "../lib/errors";
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
  copyFrom(table: string, columns: string[], rows: string, opts?: CopyOptions): Promise<void>;
  /**
   * The same database seen as one shop (docs/decisions/089-row-level-security.md): every query and
   * transaction runs in a transaction that first switched to the role winback_shop and set
   * winback.shop, so row-level security shows and accepts only that shop's rows, and a table without
   * a shop key is refused. On an Sql inside a transaction it switches that transaction. Throws
   * INVALID_INPUT for a shop that is not a shop domain. Optional only so that a test's wrapper of an
   * Sql still type-checks; call it through withShop, which refuses an Sql that cannot scope.
   */
  forShop?(shop: string): Sql;
  /** The shop this Sql is confined to (forShop), undefined for the unscoped (system) Sql. */
  readonly shop?: string;
}

/** Options of one COPY FROM. */
export interface CopyOptions {
  /**
   * COPY … WITH (FREEZE): the rows are written frozen and all-visible, so no later pass (the first
   * readers' hint bits, vacuum's freezing) rewrites the table. PostgreSQL accepts it only into a table
   * created or truncated in the same transaction (the analysis's run tables, ADR 106); ignored when
   * the rows go through copyHonouringRls's temp table.
   */
  freeze?: boolean;
}

/** sql.forShop(shop), refusing an Sql that cannot confine itself (a wrapper without forShop). */
export function withShop(sql: Sql, shop: string): Sql {
  if (!sql.forShop) throw new AppError("CONFIG", "This Sql cannot be confined to a shop (no forShop)");
  return sql.forShop(shop);
}

/** The role a shop-scoped transaction switches to (prisma/migrations/20261203001900_row_level_security). */
export const SHOP_ROLE = "winback_shop";

// A shop domain as Shopify names shops (name.myshopify.com) or a custom shop domain (SHOP_CUSTOM_DOMAIN):
// DNS labels only, so the value can never carry a quote into the setup statement.
const SHOP_HOST = /^[a-z0-9](?:[a-z0-9-]{0,62})(?:\.[a-z0-9](?:[a-z0-9-]{0,62}))+$/;

/**
 * The statements that confine a transaction (or, with `span` "session", a pooled connection: see
 * checkout) to one shop. The shop is checked, not escaped: the setup then travels in one
 * simple-protocol message (one round trip, no parameters).
 */
export function shopScopeStatements(shop: string, span: "transaction" | "session" = "transaction"): string {
  if (typeof shop !== "string" || shop.length > 255 || !SHOP_HOST.test(shop)) {
    throw new AppError("INVALID_INPUT", `Not a shop domain: ${JSON.stringify(shop)?.slice(0, 80)}`);
  }
  const local = span === "transaction";
  return `SET ${local ? "LOCAL " : ""}ROLE ${SHOP_ROLE}; SELECT set_config('winback.shop', '${shop}', ${local})`;
}

/**
 * forShop for an Sql already inside a transaction: the switch is made once, before the first
 * statement sent through the returned Sql (it then holds for the rest of that transaction).
 */
function scopeWithinTransaction(tx: Sql, shop: string): Sql {
  if (tx.shop === shop) return tx;
  const setup = shopScopeStatements(shop);
  let switched: Promise<void> | undefined;
  const ready = () => (switched ??= tx.exec(setup));
  const self: Sql = {
    engine: tx.engine,
    shop,
    query: async (text, params) => (await ready(), tx.query(text, params)),
    exec: async (text) => (await ready(), tx.exec(text)),
    transaction: async (fn) => (await ready(), fn(self)),
    copyFrom: async (table, columns, rows, opts) => {
      await ready();
      // The transaction's role has just changed: what copyHonouringRls learnt before no longer holds.
      copyAllowed.delete(tx);
      return tx.copyFrom(table, columns, rows, opts);
    },
    forShop: (other) => (other === shop ? self : scopeWithinTransaction(tx, other)),
  };
  return self;
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

const copyStatement = (table: string, columns: string[], source: string, freeze = false) =>
  `COPY "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) FROM ${source}${freeze ? " WITH (FREEZE)" : ""}`;

/**
 * COPY FROM with row-level security honoured. PostgreSQL refuses COPY FROM into a table whose
 * row-level security applies to the current role ("COPY FROM not supported with row-level
 * security"), and every shop table forces it (ADR 089): that is a shop-scoped transaction, and
 * also system work wherever the app's role owns the tables without being a superuser (a managed
 * PostgreSQL), where the sync's and the analysis's loads would otherwise fail outright. There the
 * rows go by COPY into a temp table of the same columns (a session's own temp table has no RLS)
 * and are inserted from it, which RLS checks row by row like any INSERT: same rows, one extra pass.
 * Asked once per transaction object and table (a sync's 160 batches share one transaction); a
 * scoped transaction needs no asking, its role never bypasses RLS.
 */
async function copyHonouringRls(
  tx: Sql,
  copy: (table: string, viaTemp: boolean) => Promise<void>,
  table: string,
  columns: string[],
  scoped: boolean,
): Promise<void> {
  let known = copyAllowed.get(tx);
  if (!known) copyAllowed.set(tx, (known = new Map()));
  let direct = scoped ? false : known.get(table);
  if (direct === undefined) {
    const r = await tx.query<{ rls: boolean }>(`SELECT row_security_active($1::regclass) AS rls`, [`"${table}"`]);
    direct = r[0]?.rls === false;
    known.set(table, direct);
  }
  if (direct) return copy(table, false);
  const temp = `copy_${table}`;
  const cols = columns.map((c) => `"${c}"`).join(", ");
  await tx.exec(`CREATE TEMP TABLE IF NOT EXISTS "${temp}" (LIKE "${table}" INCLUDING DEFAULTS) ON COMMIT DROP`);
  await copy(temp, true);
  await tx.exec(`INSERT INTO "${table}" (${cols}) SELECT ${cols} FROM "${temp}"; TRUNCATE "${temp}"`);
}
const copyAllowed = new WeakMap<Sql, Map<string, boolean>>();

// node-postgres returns int8 as an exact string; PGlite would give a lossy number. Match pg.
const PG_COMPATIBLE_PARSERS = { 20: (v: string) => v };

export function pgliteSql(db: PGlite | Transaction, shop?: string): Sql {
  const inTx = !("transaction" in db);
  const self: Sql = {
    engine: "pglite",
    shop,
    async query<T>(text: string, params?: unknown[]) {
      const r = await db.query<T>(text, params as never[], { parsers: PG_COMPATIBLE_PARSERS });
      return r.rows;
    },
    async exec(text: string) {
      await db.exec(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>) {
      if (inTx) return fn(self); // already inside one
      return (db as PGlite).transaction((tx) => fn(pgliteSql(tx)));
    },
    async copyFrom(table, columns, rows, opts) {
      if (!rows.length) return;
      // PGlite reads COPY input from the query's attached blob, exposed as /dev/blob.
      const copy = async (into: string, viaTemp: boolean) => {
        const statement = copyStatement(into, columns, "'/dev/blob'", !viaTemp && opts?.freeze);
        if (!viaTemp) return void (await db.query(statement, [], { blob: new Blob([rows]) }));
        // COPY from /dev/blob is a COPY from a server file, which only the session's own (superuser)
        // role may run: the rows go into the temp table as that role, and the INSERT from it runs back
        // under the transaction's role, where the policies check each row.
        const [{ role }] = (await db.query<{ role: string }>(`SELECT current_user AS role`)).rows as [{ role: string }];
        await db.exec(`RESET ROLE`);
        await db.query(statement, [], { blob: new Blob([rows]) });
        await db.exec(`SET LOCAL ROLE "${role.replace(/"/g, '""')}"`);
      };
      if (!inTx) return self.transaction((tx) => tx.copyFrom(table, columns, rows, opts));
      await copyHonouringRls(self, copy, table, columns, shop !== undefined);
    },
    forShop(other) {
      if (inTx) return scopeWithinTransaction(self, other);
      const setup = shopScopeStatements(other);
      const lite = db as PGlite;
      const scoped: Sql = {
        engine: "pglite",
        shop: other,
        query: (text, params) => scoped.transaction((tx) => tx.query(text, params)),
        exec: (text) => scoped.transaction((tx) => tx.exec(text)),
        transaction: (fn) =>
          lite.transaction(async (tx) => {
            await tx.exec(setup);
            return fn(pgliteSql(tx, other));
          }),
        copyFrom: (table, columns, rows, opts) => scoped.transaction((tx) => tx.copyFrom(table, columns, rows, opts)),
        forShop: (s) => (s === other ? scoped : withShop(self, s)),
      };
      return scoped;
    },
  };
  return self;
}

/**
 * The shop a pooled connection is confined to for its whole session (SET ROLE + winback.shop, not
 * LOCAL), or absent when it runs as the app's own role. A scoped statement on a connection already
 * confined to its shop is one round trip instead of three (BEGIN with SET LOCAL, the statement,
 * COMMIT; bench/rls.ts); every checkout, scoped or not, first brings the connection to the scope it
 * needs, so an unscoped (system) statement never runs confined and a scoped one never runs open.
 */
const sessionScope = new WeakMap<pg.PoolClient, string>();

/** `pool.connect()` with the connection brought to `shop`'s session scope, or to none (the app's role). */
async function checkout(pool: pg.Pool, shop: string | undefined): Promise<pg.PoolClient> {
  const client = await pool.connect();
  if (sessionScope.get(client) === shop) return client;
  try {
    if (shop === undefined) {
      await client.query(`RESET ROLE; SELECT set_config('winback.shop', '', false)`);
      sessionScope.delete(client);
    } else {
      await client.query(shopScopeStatements(shop, "session"));
      sessionScope.set(client, shop);
    }
  } catch (e) {
    // Its scope is unknown now: the connection is closed rather than returned to the pool.
    client.release(e instanceof Error ? e : new Error(String(e)));
    throw e;
  }
  return client;
}

export function pgPoolSql(pool: pg.Pool | pg.PoolClient, inTx = false, shop?: string): Sql {
  /** A transaction on its own pooled connection, in `scope`'s session scope (none: the app's role). */
  async function inTransaction<T>(fn: (tx: Sql) => Promise<T>, scope?: string): Promise<T> {
    const client = await checkout(pool as pg.Pool, scope);
    try {
      await client.query("BEGIN");
      const out = await fn(pgPoolSql(client, true, scope));
      await client.query("COMMIT");
      return out;
    } catch (e) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }
  /** One statement outside a transaction on a connection in `scope`'s session scope. */
  async function once<T>(scope: string | undefined, text: string, params?: unknown[]): Promise<T[]> {
    if (inTx) return ((await pool.query(text, params)) as pg.QueryResult).rows as T[];
    const client = await checkout(pool as pg.Pool, scope);
    try {
      return (await client.query(text, params)).rows as T[];
    } finally {
      client.release();
    }
  }
  const self: Sql = {
    engine: "postgres",
    shop,
    async query<T>(text: string, params?: unknown[]) {
      return once<T>(undefined, text, params);
    },
    async exec(text: string) {
      await once(undefined, text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>) {
      if (inTx) return fn(self);
      return inTransaction(fn);
    },
    async copyFrom(table, columns, rows, opts) {
      if (!rows.length) return;
      if (!inTx) return self.transaction((tx) => tx.copyFrom(table, columns, rows, opts));
      const copy = (into: string, viaTemp: boolean) => {
        const stream = (pool as pg.PoolClient).query(copyFromStream(copyStatement(into, columns, "STDIN", !viaTemp && opts?.freeze)));
        return new Promise<void>((resolve, reject) => {
          stream.on("error", reject);
          stream.on("finish", resolve);
          stream.end(rows);
        });
      };
      await copyHonouringRls(self, copy, table, columns, shop !== undefined);
    },
    forShop(other) {
      if (inTx) return scopeWithinTransaction(self, other);
      shopScopeStatements(other); // refuses a value that is not a shop domain before any checkout
      // A statement is one round trip on a connection already confined to this shop (checkout);
      // bench/rls.ts measures what the scope costs.
      const scoped: Sql = {
        engine: "postgres",
        shop: other,
        query: (text, params) => once(other, text, params),
        exec: async (text) => void (await once(other, text)),
        transaction: (fn) => inTransaction(fn, other),
        copyFrom: (table, columns, rows, opts) => inTransaction((tx) => tx.copyFrom(table, columns, rows, opts), other),
        forShop: (s) => (s === other ? scoped : withShop(self, s)),
      };
      return scoped;
    },
  };
  return self;
}
