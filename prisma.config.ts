import { defineConfig } from "prisma/config";

// Prisma 7 reads the URL from here, not from schema.prisma. Only `prisma migrate deploy` (where the
// schema engine can be downloaded) uses it; the app itself connects through a driver adapter.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost:5432/winback" },
});
