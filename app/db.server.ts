import path from "node:path";
import { mkdirSync } from "node:fs";
import { PrismaClient } from "@prisma/client";
import { env, isPostgresUrl } from "./env.server";
import { openDatabase, type Database } from "./db/open";

/**
 * The app's database: embedded PGlite under DATA_DIR by default (zero setup), real PostgreSQL when
 * DATABASE_URL is a postgres:// URL. Created once per process.
 */
declare global {
  // eslint-disable-next-line no-var
  var __winbackDb: Database | undefined;
}

function create(): Database {
  const e = env();
  if (isPostgresUrl(e.DATABASE_URL)) return openDatabase({ url: e.DATABASE_URL });
  const dir = path.resolve(e.DATA_DIR, "pglite");
  mkdirSync(dir, { recursive: true });
  return openDatabase({ dataDir: dir });
}

export const database: Database = (globalThis.__winbackDb ??= create());
const prisma: PrismaClient = database.prisma;
export default prisma;
