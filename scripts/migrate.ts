// `npm run migrate`: applies prisma/migrations to the configured database (PGlite or PostgreSQL).
import { database } from "../app/db.server";

const result = await database.ready();
console.log(
  result.applied.length ? `Applied ${result.applied.join(", ")}` : "Database is up to date",
  `(${database.kind}, ${result.alreadyApplied.length} already applied)`,
);
await database.close();
