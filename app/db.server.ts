import path from "node:path";
import { mkdirSync } from "node:fs";
import type { PrismaClient } from "@prisma/client";
import { env, isPostgresUrl } from "./env.server";
import { openDatabase, type Database } from "./db/open";
import { requestScopedSql } from "./db/shop-scope";

/**
 * The app's database: embedded PGlite under DATA_DIR by default (zero setup), real PostgreSQL when
 * DATABASE_URL is a postgres:// URL. Created once per process.
 */
declare global {
  var __winbackDb: Database | undefined;
}

/**
 * The database with its `sql` confined to the shop of the surrounding runForShop (app/db/shop-scope.ts,
 * ADR 089): webhook handlers run in one, and features built on this handle need no change. Migrations
 * keep the unscoped Sql (ready() is openDatabase's own).
 */
function create(): Database {
  const db = open();
  return { ...db, sql: requestScopedSql(db.sql) };
}

function open(): Database {
  const e = env();
  if (isPostgresUrl(e.DATABASE_URL)) return openDatabase({ url: e.DATABASE_URL });
  // memory:// keeps nothing on disk (tests, throwaway demos).
  if (e.DATABASE_URL === "memory://") return openDatabase({});
  const dir = path.resolve(e.DATA_DIR, "pglite");
  mkdirSync(dir, { recursive: true });
  return openDatabase({ dataDir: dir });
}

export const database: Database = (globalThis.__winbackDb ??= create());
// Start migrating at once: session storage polls for its table while this runs.
database.ready().catch((e) => console.error("[db] migrations failed", e));
const prisma: PrismaClient = database.prisma;
export default prisma;
