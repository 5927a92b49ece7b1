import { createHmac, randomUUID } from "node:crypto";
import type { ActionFunctionArgs } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../app/db/open";
import { SHOP_ROLE, withShop, type Sql } from "../../app/db/sql";
import { requestScopedSql, runForShop, runUnscoped } from "../../app/db/shop-scope";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";

// Row-level security on every shop table (prisma/migrations/20261203001900_row_level_security,
// docs/decisions/089-row-level-security.md), on PGlite and, with TEST_DATABASE_URL, on PostgreSQL.

const A = "rls-a.myshopify.com";
const B = "rls-b.myshopify.com";

interface Column {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  is_nullable: string;
  column_default: string | null;
  allowed?: string;
}

/** Every table with a shop key and the column holding it ("Shop" is keyed by domain), from the schema. */
async function shopTables(sql: Sql): Promise<Map<string, string>> {
  const rows = await sql.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
        AND (c.column_name = 'shop' OR (c.table_name = 'Shop' AND c.column_name = 'domain'))`,
  );
  return new Map(rows.map((r) => [r.table_name, r.column_name]));
}

/** A value for a required column, distinct per `n` so each shop's row passes the unique indexes. */
function valueFor(c: Column, n: number): unknown {
  // A one-column CHECK (kind IN ('open', …)): its first allowed literal.
  if (c.allowed !== undefined) return c.allowed;
  if (c.data_type === "ARRAY") return [];
  switch (c.udt_name) {
    case "int2":
    case "int4":
    case "int8":
    case "numeric":
    case "float4":
    case "float8":
      return n;
    case "bool":
      return false;
    case "timestamp":
    case "timestamptz":
    case "date":
      return new Date(Date.UTC(2026, 0, n));
    case "jsonb":
    case "json":
      return "{}";
    case "uuid":
      return `00000000-0000-4000-8000-00000000000${n}`;
    default:
      return `v${n}`;
  }
}

/** One row for `shop` in `table`, every required column filled. */
async function insertRow(sql: Sql, columns: Column[], table: string, key: string, shop: string, n: number) {
  const required = columns.filter(
    (c) => c.table_name === table && (c.column_name === key || (c.is_nullable === "NO" && c.column_default === null)),
  );
  const values = required.map((c) => (c.column_name === key ? shop : valueFor(c, n)));
  const names = required.map((c) => `"${c.column_name}"`).join(", ");
  const params = required.map((_, i) => `$${i + 1}`).join(", ");
  await sql.query(`INSERT INTO "${table}" (${names}) VALUES (${params})`, values);
}

describe.each(databaseKinds)("row-level security (%s)", (kind) => {
  let t: TestDb;
  let sql: Sql;
  let tables: Map<string, string>;
  let columns: Column[];

  beforeAll(async () => {
    t = await createTestDb(kind);
    sql = t.db.sql;
    tables = await shopTables(sql);
    columns = await sql.query<Column>(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default FROM information_schema.columns WHERE table_schema = current_schema()`,
    );
    const checks = await sql.query<{ t: string; c: string; def: string }>(
      `SELECT k.conrelid::regclass::text AS t, a.attname AS c, pg_get_constraintdef(k.oid) AS def
         FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
        WHERE k.contype = 'c' AND array_length(k.conkey, 1) = 1`,
    );
    for (const k of checks) {
      const literal = /'([^']*)'/.exec(k.def)?.[1];
      const col = columns.find((c) => (`"${c.table_name}"` === k.t || c.table_name === k.t ? c.column_name === k.c : false));
      if (col && literal !== undefined) col.allowed = literal;
    }
    // A partition ("CustomerScoreDefault", ADR 106) gets its rows through its parent: seeding both would
    // write each key twice into the same table.
    const partitions = new Set(
      (await sql.query<{ relname: string }>(`SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'`)).map((r) => r.relname),
    );
    // Seeded by the unscoped (system) Sql, which may write any shop; foreign keys (a note's task) are
    // not what this test is about, so replica mode skips them.
    await sql.transaction(async (tx) => {
      await tx.exec(`SET LOCAL session_replication_role = replica`);
      for (const [table, key] of tables) {
        if (partitions.has(table)) continue;
        await insertRow(tx, columns, table, key, A, 1);
        await insertRow(tx, columns, table, key, B, 2);
      }
    });
  }, 120_000);
  afterAll(async () => t?.drop());

  it("has row-level security forced, a shop policy and the scoped role's privileges on every shop table, and on no other table", async () => {
    expect(tables.size).toBeGreaterThanOrEqual(25);
    const flags = await sql.query<{ relname: string; rls: boolean; forced: boolean; policy: boolean; granted: boolean }>(
      `SELECT c.relname, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
              EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'winback_shop_isolation') AS policy,
              has_table_privilege($1, c.oid, 'SELECT') AS granted
         FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')`,
      [SHOP_ROLE],
    );
    for (const table of tables.keys()) {
      expect(flags.find((f) => f.relname === table)).toEqual({ relname: table, rls: true, forced: true, policy: true, granted: true });
    }
    // A table the scoped role can read but without RLS would show it every shop's rows.
    expect(flags.filter((f) => f.granted && !f.rls).map((f) => f.relname)).toEqual([]);
  });

  it("shows a shop-scoped Sql only its own shop's rows in every shop table", async () => {
    const scoped = withShop(sql, A);
    expect(scoped.shop).toBe(A);
    for (const [table, key] of tables) {
      const all = await sql.query<{ k: string }>(`SELECT "${key}" AS k FROM "${table}" WHERE "${key}" IN ($1, $2)`, [A, B]);
      expect(new Set(all.map((r) => r.k)), table).toEqual(new Set([A, B]));
      // No shop predicate: the policy alone must keep B out.
      const seen = await scoped.query<{ k: string }>(`SELECT "${key}" AS k FROM "${table}"`);
      expect([...new Set(seen.map((r) => r.k))], table).toEqual([A]);
    }
  });

  it("shows nothing and accepts no insert to the scoped role when no shop is set", async () => {
    await sql.transaction(async (tx) => {
      await tx.exec(`SET LOCAL ROLE ${SHOP_ROLE}`);
      for (const [table] of tables) {
        const [row] = await tx.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${table}"`);
        expect(row!.n, table).toBe("0");
      }
    });
    const insert = sql.transaction(async (tx) => {
      await tx.exec(`SET LOCAL ROLE ${SHOP_ROLE}`);
      await insertRow(tx, columns, "Customer", "shop", A, 3);
    });
    await expect(insert).rejects.toThrow(/row-level security/);
  });

  it("refuses a scoped write for another shop, and moving a row to another shop", async () => {
    const scoped = withShop(sql, A);
    await expect(insertRow(scoped, columns, "Customer", "shop", B, 4)).rejects.toThrow(/row-level security/);
    await expect(scoped.query(`UPDATE "Customer" SET shop = $1`, [B])).rejects.toThrow(/row-level security/);
    // Updating or deleting B's rows through A's scope touches nothing.
    expect(await scoped.query(`DELETE FROM "Order" WHERE shop = $1 RETURNING shop`, [B])).toEqual([]);
    const [b] = await sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM "Order" WHERE shop = $1`, [B]);
    expect(b!.n).toBe("1");
    // Its own shop it may write.
    await insertRow(scoped, columns, "Customer", "shop", A, 5);
    await scoped.query(`DELETE FROM "Customer" WHERE id = 5`);
  });

  it("COPYs into a shop table wherever row-level security applies, and the policy still checks each row", async () => {
    // PostgreSQL refuses COPY FROM into a table whose RLS applies to the role ("COPY FROM not supported
    // with row-level security"); every shop table forces it, so without the temp-table path in
    // app/db/sql.ts a scoped COPY, or the sync's and analysis's loads on a database whose app role owns
    // the tables without being a superuser, would fail outright.
    const scoped = withShop(sql, A);
    await scoped.copyFrom("Customer", ["shop", "id", "email"], `${A}\t901\tcopy-a@example.com\n`);
    await expect(scoped.copyFrom("Customer", ["shop", "id"], `${B}\t902\n`)).rejects.toThrow(/row-level security/);
    // A role the policies bind, switched to inside a plain transaction (as for a non-superuser owner):
    // detected by asking PostgreSQL, not by the Sql's own scope.
    await sql.transaction(async (tx) => {
      await tx.exec(`SET LOCAL ROLE ${SHOP_ROLE}; SELECT set_config('winback.shop', '${A}', true)`);
      await tx.copyFrom("Customer", ["shop", "id"], `${A}\t903\n`);
    });
    const rows = await sql.query<{ id: string }>(`SELECT id::text FROM "Customer" WHERE id BETWEEN 901 AND 903 ORDER BY id`);
    expect(rows.map((r) => r.id)).toEqual(["901", "903"]);
    await sql.query(`DELETE FROM "Customer" WHERE id BETWEEN 901 AND 903`);
  });

  it("refuses the scoped role every table without a shop key", async () => {
    await expect(withShop(sql, A).query(`SELECT * FROM "Job"`)).rejects.toThrow(/permission denied/);
  });

  it("keeps the scope inside a transaction, confines a transaction it is given, and leaves pooled connections unscoped", async () => {
    const seen = await withShop(sql, A).transaction(async (tx) => {
      expect(tx.shop).toBe(A);
      return tx.query<{ shop: string }>(`SELECT shop FROM "Customer"`);
    });
    expect(seen.map((r) => r.shop)).toEqual([A]);
    const inner = await sql.transaction(async (tx) => {
      const both = await tx.query<{ shop: string }>(`SELECT shop FROM "Customer" WHERE shop IN ($1, $2)`, [A, B]);
      const onlyB = await withShop(tx, B).query<{ shop: string }>(`SELECT shop FROM "Customer"`);
      return { both: both.length, onlyB: onlyB.map((r) => r.shop) };
    });
    expect(inner).toEqual({ both: 2, onlyB: [B] });
    // SET LOCAL ends with the transaction: every connection of the pool is the system one again.
    const after = await Promise.all(
      Array.from({ length: 12 }, () =>
        sql.query<{ u: string; s: string | null; n: string }>(
          `SELECT current_user AS u, current_setting('winback.shop', true) AS s, (SELECT count(*)::text FROM "Customer" WHERE shop IN ($1, $2)) AS n`,
          [A, B],
        ),
      ),
    );
    for (const [r] of after) {
      expect(r!.u).not.toBe(SHOP_ROLE);
      expect(r!.s ?? "").toBe("");
      expect(r!.n).toBe("2");
    }
  });

  it("refuses a shop that is not a shop domain before any SQL", () => {
    expect(() => withShop(sql, 'x\'; DROP TABLE "Customer"; --')).toThrow(/Not a shop domain/);
    expect(() => withShop(sql, "")).toThrow(/Not a shop domain/);
    expect(() => withShop(sql, "UPPER.myshopify.com")).toThrow(/Not a shop domain/);
  });

  it("confines the request-scoped Sql inside runForShop only", async () => {
    const requestSql = requestScopedSql(sql);
    const shops = async () =>
      (await requestSql.query<{ shop: string }>(`SELECT DISTINCT shop FROM "Order" ORDER BY shop`)).map((r) => r.shop);
    expect(await shops()).toEqual([A, B]);
    expect(await runForShop(B, shops)).toEqual([B]);
    expect(await runForShop(B, () => runUnscoped(shops))).toEqual([A, B]);
    expect(await runForShop(A, () => requestSql.transaction((tx) => tx.query<{ shop: string }>(`SELECT shop FROM "Order"`)))).toEqual([
      { shop: A },
    ]);
    await expect(runForShop("not a shop", shops)).rejects.toThrow(/Not a shop domain/);
  });
});

// The composition root's wiring (app/app.server.ts): a webhook handler runs as winback_shop with the
// delivering shop set. A trigger on "Customer" records who wrote (triggers run as the writing role).
describe("webhook handlers through the composition root (pglite, memory://)", () => {
  let database: Database;
  let customersUpdate: (args: ActionFunctionArgs) => Promise<Response>;
  let appEnv: typeof import("../support/app-env");

  beforeAll(async () => {
    appEnv = await import("../support/app-env");
    appEnv.setAppEnv();
    ({ database } = await import("../../app/db.server"));
    ({ action: customersUpdate } = await import("../../app/routes/webhooks.customers.update"));
    await database.ready();
    await database.sql.exec(`
      CREATE TABLE rls_probe (who text, shop text);
      GRANT INSERT ON rls_probe TO ${SHOP_ROLE};
      CREATE FUNCTION rls_probe() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO rls_probe VALUES (current_user, current_setting('winback.shop', true)); RETURN NEW; END $$;
      CREATE TRIGGER rls_probe BEFORE INSERT OR UPDATE ON "Customer" FOR EACH ROW EXECUTE FUNCTION rls_probe();`);
  }, 400_000);

  it("runs customers/update confined to the delivering shop", async () => {
    const { TEST_APP } = appEnv;
    const body = JSON.stringify({
      id: 7001,
      admin_graphql_api_id: "gid://shopify/Customer/7001",
      email: "probe@example.com",
      first_name: "P",
      last_name: null,
      updated_at: "2026-11-03T00:00:00Z",
      tags: "",
    });
    const request = new Request(`${TEST_APP.appUrl}/webhooks/customers/update`, {
      method: "POST",
      body,
      headers: {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "customers/update",
        "X-Shopify-Hmac-Sha256": createHmac("sha256", TEST_APP.apiSecret).update(body, "utf8").digest("base64"),
        "X-Shopify-Shop-Domain": TEST_APP.shop,
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Webhook-Id": randomUUID(),
        "X-Shopify-Event-Id": randomUUID(),
        "X-Shopify-Triggered-At": new Date().toISOString(),
      },
    });
    expect((await customersUpdate({ request, params: {}, context: {} })).status).toBe(200);
    const probes = await database.sql.query<{ who: string; shop: string }>(`SELECT DISTINCT who, shop FROM rls_probe`);
    expect(probes).toEqual([{ who: SHOP_ROLE, shop: TEST_APP.shop }]);
    // Outside a handler the app's Sql is the system one.
    expect(database.sql.shop).toBeUndefined();
  });
});
