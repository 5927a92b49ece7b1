import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgPoolSql, withShop, type Sql } from "../../app/db/sql";
import { createTestDb, type TestDb } from "../support/db";

/**
 * Scoped statements on PostgreSQL ride on connections confined to their shop for the whole session
 * (app/db/sql.ts checkout): one round trip per statement instead of BEGIN + SET LOCAL, the statement,
 * COMMIT. The danger of a session-level scope is a pooled connection that keeps it: here a pool of ONE
 * connection serves shop A, shop B, the system, transactions and failures in turn, and every statement
 * sees exactly what its own scope allows. PostgreSQL only (PGlite has one connection and keeps the
 * per-transaction scope): runs when TEST_DATABASE_URL is set, as in CI.
 */
const A = "scoped-a.myshopify.com";
const B = "scoped-b.myshopify.com";

describe.skipIf(!process.env.TEST_DATABASE_URL)("session-scoped pooled connections (PostgreSQL)", () => {
  let t: TestDb;
  let pool: pg.Pool;
  let sql: Sql;
  beforeAll(async () => {
    t = await createTestDb("postgres");
    for (const shop of [A, B])
      await t.db.sql.query(
        `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", settings, "updatedAt") VALUES ($1, $1, 'USD', 'UTC', '{}', now())`,
        [shop],
      );
    pool = new pg.Pool({ connectionString: t.url, max: 1 });
    sql = pgPoolSql(pool);
  });
  afterAll(async () => {
    await pool.end();
    await t.drop();
  });

  const shops = async (s: Sql) => (await s.query<{ domain: string }>(`SELECT domain FROM "Shop" ORDER BY domain`)).map((r) => r.domain);
  const role = async (s: Sql) => (await s.query<{ r: string }>(`SELECT current_user AS r`))[0]!.r;

  it("alternating shops and the system on one connection: each sees only what its scope allows", async () => {
    const a = withShop(sql, A),
      b = withShop(sql, B);
    for (let round = 0; round < 3; round++) {
      expect(await shops(a)).toEqual([A]);
      expect(await shops(a)).toEqual([A]);
      expect(await shops(b)).toEqual([B]);
      expect(await shops(sql)).toEqual([A, B]);
      expect(await role(sql)).not.toBe("winback_shop");
      expect(await role(a)).toBe("winback_shop");
      expect(await a.transaction(async (tx) => shops(tx))).toEqual([A]);
      expect(await sql.transaction(async (tx) => shops(tx))).toEqual([A, B]);
      // a shop switched inside the system's transaction ends with it
      expect(await sql.transaction(async (tx) => shops(withShop(tx, B)))).toEqual([B]);
      expect(await shops(sql)).toEqual([A, B]);
      // and inside another shop's transaction: the session's shop holds again afterwards
      expect(await a.transaction(async (tx) => shops(withShop(tx, B)))).toEqual([B]);
      expect(await shops(a)).toEqual([A]);
    }
  });

  it("a failed statement or transaction leaves no scope behind for the next user of the connection", async () => {
    const a = withShop(sql, A);
    await expect(a.query(`SELECT * FROM no_such_table`)).rejects.toThrow();
    expect(await shops(sql)).toEqual([A, B]);
    await expect(
      a.transaction(async (tx) => {
        await tx.query(`SELECT 1`);
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await shops(sql)).toEqual([A, B]);
    // a scoped write of another shop's row is refused, and the connection is still good afterwards
    await expect(a.query(`UPDATE "Shop" SET name = 'x' WHERE domain = $1 RETURNING domain`, [B])).resolves.toEqual([]);
    await expect(
      a.query(
        `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", settings, "updatedAt") VALUES ($1, 'x', 'USD', 'UTC', '{}', now())`,
        ["scoped-c.myshopify.com"],
      ),
    ).rejects.toThrow(/row-level security/);
    expect(await shops(a)).toEqual([A]);
    expect(await shops(sql)).toEqual([A, B]);
  });

  it("a value that is not a shop domain is refused before any connection is used", () => {
    expect(() => withShop(sql, "x'; RESET ROLE; --")).toThrow(/Not a shop domain/);
  });
});
