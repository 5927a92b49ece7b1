import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
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

const FORBIDDEN = [
  /^@remix-run\//,
  /^@prisma\//,
  /^@shopify\//,
  /^pg$/,
  /^pg-boss$/,
  /^@electric-sql\//,
  /^node:(fs|net|http|https|child_process)/,
  /^(fs|net|http|https|child_process)$/,
  /\.server$/,
  /graphql-request/,
  /^react/,
];

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
    const textual = appFiles()
      .filter((f) => /\bawait\s+import\s*\(/.test(stripComments(readFileSync(f, "utf8"))))
      .map(rel);
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
    const INFRA = [
      /^app\/db\.server\.ts$/,
      /^app\/db\//,
      /^app\/env\.server\.ts$/,
      /^app\/shopify\.server\.ts$/,
      /^app\/shopify\//,
      /^app\/jobs\/(?!worker\.server)/,
      /^app\/webhooks\//,
      /^app\/messaging\/mail-transport\.server\.ts$/,
      /^app\/lib\//,
    ];
    const FEATURE = /^app\/(analysis|campaigns|outreach|points|messaging|sync)\/|^app\/(install|compliance|home|app)\.server\.ts$/;
    const offenders = edges
      .filter((e) => INFRA.some((re) => re.test(rel(e.from))) && FEATURE.test(rel(e.to)) && !INFRA.some((re) => re.test(rel(e.to))))
      .map((e) => `${rel(e.from)} -> ${rel(e.to)}`);
    expect(offenders).toEqual([]);
  });
});

/**
 * Table ownership (docs/decisions/076-table-ownership.md): SQL lives only in a feature's store
 * (`store.ts` or `store/*.ts`) or in infrastructure, a table is named in SQL only by its owner,
 * routes hold no SQL, and every feature folder has the same shape. Other features read a table
 * through its owner's exported functions (the sync's read API: app/sync/store/purchases.ts and
 * customers.ts).
 */
describe("table ownership", () => {
  const ROOT = process.cwd();
  const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join("/");
  const FEATURES = ["sync", "analysis", "campaigns", "outreach", "messaging", "points"] as const;

  /** Every table of prisma/schema.prisma has exactly one owner. */
  const OWNER: Record<string, string> = {
    ...Object.fromEntries(
      [
        "Order",
        "OrderLine",
        "Customer",
        "SyncRun",
        "SyncBulkOperation",
        "SyncState",
        "SyncStageOrder",
        "SyncStageOrderLine",
        "SyncStageCustomer",
      ].map((t) => [t, "sync"]),
    ),
    AnalysisRun: "analysis",
    CustomerScore: "analysis",
    Campaign: "campaigns",
    CampaignMember: "campaigns",
    CampaignTouch: "campaigns",
    CampaignTotals: "campaigns",
    CampaignTouchCount: "campaigns",
    ProgramRun: "campaigns",
    OutreachTask: "outreach",
    OutreachNote: "outreach",
    MessageLog: "messaging",
    EmailSuppression: "messaging",
    EmailFeedback: "messaging",
    FlowTriggerLog: "messaging",
    EmailEngagement: "messaging",
    StorefrontVisit: "messaging",
    PointsLedger: "points",
    PointsRedemption: "points",
    PointsNudge: "points",
    ...Object.fromEntries(
      ["Shop", "Session", "WebhookEvent", "DataRequest", "Job", "JobWorker", "JobLease"].map((t) => [t, "infrastructure"]),
    ),
  };

  /** Files that may hold SQL on infrastructure tables (and only those). */
  const INFRASTRUCTURE = [
    /^app\/db\//,
    /^app\/jobs\//,
    /^app\/webhooks\//,
    /^app\/db\.server\.ts$/,
    /^app\/shopify\.server\.ts$/,
    /^app\/install\.server\.ts$/,
    /^app\/shop-settings\.server\.ts$/,
    /^app\/compliance\.server\.ts$/,
  ];

  /**
   * Violations allowed, file → reason. Empty: every table is read and written by its owner only
   * (issue 12). A file listed here that no longer violates fails the test, so the list never goes stale.
   */
  const ALLOWLIST: Record<string, string> = {};

  // A call on the SQL port (query / exec with a SQL string / COPY), the Prisma client, or raw Prisma SQL.
  const SQL_CALL = /\.(?:query|copyFrom)\s*[<(]|\.exec\(\s*[`"']|\.prisma\.\w+|\$(?:queryRaw|executeRaw)/;
  // Tables named where SQL names tables (FROM/JOIN/INTO/UPDATE/…, lists after TRUNCATE/LOCK TABLE), or loaded by COPY.
  const TABLE_REF =
    /\b(?:FROM|JOIN|INTO|UPDATE|TABLE|ANALYZE|TRUNCATE|LIKE|REFERENCES)\s+((?:"\w+"(?:\s+(?:AS\s+)?\w+)?\s*,\s*)*"\w+")|copyFrom\(\s*"(\w+)"/gi;

  const appFiles = () => sourceFiles(path.resolve("app")).filter((f) => !/\.test\.tsx?$/.test(f));
  const ownerOfFile = (f: string): string | null => {
    const r = rel(f);
    if (INFRASTRUCTURE.some((re) => re.test(r))) return "infrastructure";
    const m = /^app\/(\w+)\//.exec(r);
    return m && (FEATURES as readonly string[]).includes(m[1]!) ? m[1]! : null;
  };
  const isStore = (r: string) => /^app\/\w+\/store\.ts$|^app\/\w+\/store\/[^/]+\.ts$/.test(r);

  /** The tables a source names in SQL. */
  function tablesNamed(src: string): string[] {
    const out = new Set<string>();
    for (const m of stripComments(src).matchAll(TABLE_REF)) {
      for (const q of (m[1] ?? `"${m[2]}"`).matchAll(/"(\w+)"/g)) if (q[1]! in OWNER) out.add(q[1]!);
    }
    return [...out];
  }

  function violations(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const add = (file: string, v: string) => (out[file] ??= []).push(v);
    for (const f of appFiles()) {
      const r = rel(f);
      const src = stripComments(readFileSync(f, "utf8"));
      const owner = ownerOfFile(f);
      const sql = SQL_CALL.test(src);
      const tables = tablesNamed(src);
      if (r.startsWith("app/routes/") && (sql || tables.length)) add(r, "route with SQL");
      else if (sql && owner !== "infrastructure" && !isStore(r)) add(r, "SQL outside a store");
      for (const t of tables) if (OWNER[t] !== owner) add(r, `names ${t} (owner: ${OWNER[t]})`);
    }
    for (const feature of FEATURES) {
      const dir = path.resolve("app", feature);
      if (!existsSync(path.join(dir, "feature.ts"))) add(`app/${feature}/`, "no feature.ts");
      if (!existsSync(path.join(dir, "store.ts")) && !existsSync(path.join(dir, "store"))) add(`app/${feature}/`, "no store.ts or store/");
    }
    return out;
  }

  it("every table in prisma/schema.prisma has an owner", () => {
    const models = [...readFileSync("prisma/schema.prisma", "utf8").matchAll(/^model (\w+) \{/gm)].map((m) => m[1]!);
    expect(models.length).toBeGreaterThan(20);
    expect(models.filter((m) => !(m in OWNER))).toEqual([]);
  });

  it("SQL only in stores and infrastructure, each table named only by its owner, no SQL in routes, every feature has feature.ts and a store", () => {
    const found = violations();
    const unexpected = Object.fromEntries(Object.entries(found).filter(([f]) => !(f in ALLOWLIST)));
    expect(unexpected).toEqual({});
    // An allow-listed file that is clean now leaves the list.
    expect(Object.keys(ALLOWLIST).filter((f) => !(f in found))).toEqual([]);
  });

  /**
   * The sync is a one-way chain (docs/decisions/075-sync-chain.md): each module imports only
   * modules before it in this order (the store, then context, below every step); a later step
   * reaches an earlier one only as a parameter (`deps.finalize`).
   */
  it("the sync's modules import only earlier steps of the chain", () => {
    const CHAIN = [
      "store",
      "context",
      "start",
      "poll",
      "download",
      "ingest",
      "finalize",
      "jobs",
      "webhooks",
      "status",
      "page.server",
      "feature",
    ];
    const SYNC = path.resolve("app/sync");
    const stepOf = (f: string) => {
      const r = path.relative(SYNC, f).split(path.sep);
      return r[0] === "store" ? "store" : r[0]!.replace(/\.tsx?$/, "");
    };
    const files = appFiles();
    const { edges } = importGraph(files, ROOT);
    const inSync = (f: string) => f.startsWith(SYNC + path.sep);
    const steps = new Set(files.filter(inSync).map(stepOf));
    // Every module of the sync has a place in the chain.
    expect([...steps].filter((s) => !CHAIN.includes(s))).toEqual([]);
    const backwards = edges
      .filter((e) => inSync(e.from) && inSync(e.to))
      .filter((e) => {
        const from = CHAIN.indexOf(stepOf(e.from)),
          to = CHAIN.indexOf(stepOf(e.to));
        // Inside the store, files may use each other (no cycles: the test above); context is types and job names.
        return to > from || (to === from && stepOf(e.from) !== "store");
      })
      .map((e) => `${rel(e.from)} -> ${rel(e.to)}`);
    expect(backwards).toEqual([]);
  });

  it("the rules see SQL, foreign tables and routes (a file of each kind)", () => {
    expect(SQL_CALL.test("await tx.query<{ n: number }>(`SELECT 1`)")).toBe(true);
    expect(SQL_CALL.test('const m = /x/.exec(s); url.searchParams.get("q")')).toBe(false);
    expect(tablesNamed('`SELECT c.email FROM "CustomerScore" cs LEFT JOIN "Customer" c ON true`').sort()).toEqual([
      "Customer",
      "CustomerScore",
    ]);
    expect(tablesNamed('`TRUNCATE "SyncStageOrderLine", "SyncStageOrder"` copyFrom("SyncStageCustomer", cols)').sort()).toEqual([
      "SyncStageCustomer",
      "SyncStageOrder",
      "SyncStageOrderLine",
    ]);
    expect(tablesNamed('gid("Customer"); z.literal("Order")')).toEqual([]);
  });
});
