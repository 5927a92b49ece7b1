import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { importCycles, importGraph, importSpecifiers, sourceFiles, stripComments } from "../support/import-graph";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

const FORBIDDEN = [/^@remix-run\//, /^@prisma\//, /^@shopify\//, /^pg$/, /^pg-boss$/, /^@electric-sql\//, /^node:(fs|net|http|https|child_process)/, /^(fs|net|http|https|child_process)$/, /\.server$/, /graphql-request/, /^react/];

// Pure helpers the domain may use: no I/O, no framework (the error vocabulary, the one NUL rule, the one address rule).
const PURE_LIB = ["app/lib/errors", "app/lib/text", "app/lib/email-address"];

describe("architecture", () => {
  it("app/domain imports no Remix, Prisma, Shopify, database or network code", () => {
    const offenders: string[] = [];
    for (const f of files(path.resolve("app/domain"))) {
      if (f.endsWith(".test.ts")) continue;
      const src = readFileSync(f, "utf8");
      for (const m of src.matchAll(/(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
        const spec = m[1] ?? m[2]!;
        if (FORBIDDEN.some((re) => re.test(spec))) offenders.push(`${path.relative(process.cwd(), f)} -> ${spec}`);
        if (spec.startsWith(".")) {
          const target = path.resolve(path.dirname(f), spec);
          const inside = target.startsWith(path.resolve("app/domain")) || PURE_LIB.some((l) => target === path.resolve(l));
          if (!inside) offenders.push(`${path.relative(process.cwd(), f)} -> ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  const ROOT = process.cwd();
  const APP = path.resolve("app");
  const rel = (f: string) => path.relative(ROOT, f);
  const appFiles = () => sourceFiles(APP).filter((f) => !/\.test\.tsx?$/.test(f));

  it("app/ has no import cycle (static, type-only and dynamic imports)", () => {
    const files = appFiles();
    const { edges, unresolved } = importGraph(files, ROOT);
    // A local import the resolver cannot place would hide edges: fail instead.
    expect(unresolved).toEqual([]);
    expect(edges.length).toBeGreaterThan(300);
    expect(importCycles(files, edges).map((c) => c.map(rel))).toEqual([]);
  });

  it("the cycle finder sees a cycle closed by a dynamic import, through ~/ and index files", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "winback-graph-"));
    try {
      mkdirSync(path.join(dir, "app/b"), { recursive: true });
      writeFileSync(path.join(dir, "app/a.ts"), `import type { B } from "~/b";\nexport const a = 1;\n`);
      writeFileSync(path.join(dir, "app/b/index.ts"), `export type B = number;\nexport const c = () => import("./c");\n`);
      writeFileSync(path.join(dir, "app/b/c.tsx"), `export {\n  a,\n} from "../a";\nimport "../leaf";\n`);
      writeFileSync(path.join(dir, "app/leaf.ts"), `export const u = "https://x"; // import("./a") in a comment\n/* import("./a") */\n`);
      const files = sourceFiles(path.join(dir, "app"));
      const { edges, unresolved } = importGraph(files, dir);
      expect(unresolved).toEqual([]);
      const cycles = importCycles(files, edges).map((c) => c.map((f) => path.relative(dir, f)));
      expect(cycles).toEqual([["app/a.ts", "app/b/c.tsx", "app/b/index.ts"]]);
      expect(edges.filter((e) => e.dynamic).map((e) => path.relative(dir, e.to))).toEqual(["app/b/c.tsx"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /**
   * `import()` in app/ only where a module is genuinely optional at run time, each with its
   * reason. Never to dodge an import cycle: the composition root (app/app.server.ts) passes
   * the infrastructure in instead (docs/decisions/004-feature-seams.md).
   */
  const DYNAMIC_IMPORT_ALLOWED: Record<string, string> = {};

  it("app/ uses no dynamic import() outside the allow-list", () => {
    const offenders = appFiles().flatMap((f) =>
      importSpecifiers(readFileSync(f, "utf8"))
        .filter((i) => i.dynamic)
        .map((i) => `${rel(f)} -> ${i.spec}`),
    );
    const textual = appFiles().filter((f) => /\bawait\s+import\s*\(/.test(stripComments(readFileSync(f, "utf8")))).map(rel);
    expect(offenders.filter((o) => !(o.split(" -> ")[0]! in DYNAMIC_IMPORT_ALLOWED))).toEqual([]);
    expect(textual.filter((f) => !(f in DYNAMIC_IMPORT_ALLOWED))).toEqual([]);
  });

  it("only routes and the server entry import the composition root; infrastructure imports no feature", () => {
    const { edges } = importGraph(appFiles(), ROOT);
    const root = path.join(APP, "app.server.ts");
    const mayImportRoot = (f: string) => f.startsWith(path.join(APP, "routes") + path.sep) || rel(f) === "app/entry.server.tsx";
    expect(edges.filter((e) => e.to === root && !mayImportRoot(e.from)).map((e) => rel(e.from))).toEqual([]);

    // Leaves: the database, the environment, Shopify's library config and adapters, the job queue, the
    // webhook boundary, the mail transport, lib/. A feature they imported could import them back.
    const INFRA = [/^app\/db\.server\.ts$/, /^app\/db\//, /^app\/env\.server\.ts$/, /^app\/shopify\.server\.ts$/, /^app\/shopify\//, /^app\/jobs\/(?!worker\.server)/, /^app\/webhooks\//, /^app\/messaging\/mail-transport\.server\.ts$/, /^app\/lib\//];
    const FEATURE = /^app\/(analysis|campaigns|outreach|points|messaging|sync)\/|^app\/(install|compliance|home|app)\.server\.ts$/;
    const offenders = edges
      .filter((e) => INFRA.some((re) => re.test(rel(e.from))) && FEATURE.test(rel(e.to)) && !INFRA.some((re) => re.test(rel(e.to))))
      .map((e) => `${rel(e.from)} -> ${rel(e.to)}`);
    expect(offenders).toEqual([]);
  });
});
