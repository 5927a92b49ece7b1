import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { buildClientSchema, parse, validate, type GraphQLSchema } from "graphql";
import { describe, expect, it } from "vitest";

/** Every `#graphql` document the app sends, validated against the official 2026-10 schema. */
function appFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return name === "types" ? [] : appFiles(p);
    return /\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name) ? [p] : [];
  });
}

function documents() {
  const out: Array<{ file: string; source: string }> = [];
  for (const file of appFiles(path.resolve("app"))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/`#graphql([\s\S]*?)`/g)) {
      if (m[1]!.includes("${")) throw new Error(`${file}: interpolation inside a #graphql document`);
      out.push({ file: path.relative(process.cwd(), file), source: m[1]! });
    }
  }
  return out;
}

let schema: GraphQLSchema;
function loadSchema() {
  schema ??= buildClientSchema(JSON.parse(gunzipSync(readFileSync("app/shopify/schema/admin_2026-10.json.gz")).toString()).data);
  return schema;
}

describe("GraphQL documents", () => {
  const docs = documents();
  it("finds the app's documents", () => {
    expect(docs.length).toBeGreaterThan(0);
  });
  it.each(docs.map((d) => [`${d.file}: ${/(query|mutation)\s+(\w+)/.exec(d.source)?.[2] ?? "anonymous"}`, d] as const))(
    "%s is valid against Admin 2026-10",
    (_name, d) => {
      const errors = validate(loadSchema(), parse(d.source)).map((e) => e.message);
      expect(errors).toEqual([]);
    },
  );
  it("the check itself rejects a field that does not exist in 2026-10", () => {
    const errors = validate(loadSchema(), parse(`query { shop { name noSuchField } }`));
    expect(errors.map((e) => e.message).join()).toMatch(/Cannot query field "noSuchField" on type "Shop"/);
  });
});
