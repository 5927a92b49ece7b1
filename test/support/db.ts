import pg from "pg";
import { randomBytes } from "node:crypto";
import { openDatabase, type Database } from "../../app/db/open";

/**
 * Databases an integration test runs against: in-memory PGlite always, and real PostgreSQL when
 * TEST_DATABASE_URL is set (CI sets it; on a laptop without PostgreSQL those cases are skipped).
 * Each PostgreSQL database is new and dropped afterwards, so test files never share state.
 */
export interface TestDb {
  db: Database;
  url?: string;
  drop(): Promise<void>;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

export const databaseKinds: Array<"pglite" | "postgres"> = TEST_DATABASE_URL ? ["pglite", "postgres"] : ["pglite"];

export async function createTestDb(kind: "pglite" | "postgres", opts: { migrate?: boolean } = {}): Promise<TestDb> {
  if (kind === "pglite") {
    const db = openDatabase({});
    if (opts.migrate !== false) await db.ready();
    return { db, drop: () => db.close() };
  }
  if (!TEST_DATABASE_URL) throw new Error("TEST_DATABASE_URL is not set");
  const name = `winback_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const db = openDatabase({ url: url.toString() });
  if (opts.migrate !== false) await db.ready();
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
