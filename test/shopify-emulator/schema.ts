// Loads the official Admin GraphQL 2026-10 introspection schema once per process.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { fileURLToPath } from "node:url";
import { buildClientSchema, type GraphQLSchema, type IntrospectionQuery } from "graphql";

export const API_VERSION = "2026-10";
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SCHEMA_PATH = path.join(REPO_ROOT, "app/shopify/schema/admin_2026-10.json.gz");

let cached: GraphQLSchema | undefined;

export function adminSchema(): GraphQLSchema {
  if (!cached) {
    const json = JSON.parse(zlib.gunzipSync(fs.readFileSync(SCHEMA_PATH)).toString("utf8")) as {
      data?: IntrospectionQuery;
    } & Partial<IntrospectionQuery>;
    const introspection = (json.data ?? json) as IntrospectionQuery;
    cached = buildClientSchema(introspection, { assumeValid: true });
  }
  return cached;
}
