// Order sync benchmark: npx tsx bench/sync.ts [orders=1000000]
// (BENCH_PG=1 TEST_DATABASE_URL=postgres://… for PostgreSQL; BENCH_KEEP_DB=1 keeps that database.)
// Ingests a bulk export (ungrouped JSONL with line items, plus the customers export) end to end,
// customers first as on a real shop: download, parse and validate (on worker threads, ADR 083), write (staged, or a direct load on
// PostgreSQL, docs/decisions/051), close the run with the aggregates. Reports seconds, orders/s,
// CPU per process, time per SQL statement, peak RSS, the ratio to a bare JSON.parse-every-line loop
// over the same files in the same run, and the median latency of one order webhook.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { openDatabase } from "../app/db/open";
import { createAdminClient } from "../app/shopify/graphql-client";
import { bodyChunks, jsonlLineBatches } from "../app/shopify/jsonl/lines";
import { defaultParseThreads } from "../app/shopify/jsonl/parse-pool";
import type { SyncDeps } from "../app/sync/context";
import { ingestBulkOperation } from "../app/sync/ingest";
import { runFinalizer } from "../app/sync/finalize";
import { applyOrderWebhook } from "../app/sync/store/live";

const N = process.argv[2] ?? "1000000";
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const host = spawn(process.execPath, ["--import", "tsx", path.resolve("bench/sync-emulator-host.ts"), N], {
  stdio: ["ignore", "pipe", "inherit"],
});
const info = await new Promise<any>((resolve, reject) => {
  createInterface({ input: host.stdout! }).once("line", (l) => resolve(JSON.parse(l)));
  host.once("exit", (c) => reject(new Error(`emulator host exited ${c}`)));
});
const totalLines = info.ops.reduce((s: number, o: any) => s + Number(o.objectCount), 0);
const totalBytes = info.ops.reduce((s: number, o: any) => s + Number(o.fileSize), 0);
console.log(
  `prepared in emulator: ${info.orders} orders, ${info.customers} customers, ${totalLines} JSONL lines, ${(totalBytes / 1e6).toFixed(0)} MB (${(info.prepareMs / 1000).toFixed(1)} s)`,
);

// Floor: download + split + JSON.parse every line, nothing else. Measured before the ingest and
// again after it: on a shared machine the load drifts over minutes, and the mean of the two brackets
// the ingest's own minutes better than either alone.
async function measureFloor(): Promise<{ s: number; lines: number }> {
  const start = performance.now();
  let lines = 0;
  for (const op of info.ops) {
    const res = await fetch(op.url);
    for await (const batch of jsonlLineBatches(bodyChunks(res.body!)))
      for (const l of batch) {
        JSON.parse(l);
        lines++;
      }
  }
  return { s: (performance.now() - start) / 1000, lines };
}
const floor1 = await measureFloor();
const parsed = floor1.lines;
const floorS = floor1.s;
let t = performance.now();
console.log(`floor (fetch + split + JSON.parse): ${parsed} lines in ${floorS.toFixed(2)} s`);

// Embedded PGlite (file-backed, the default deployment) or, with BENCH_PG=1, a fresh database on
// TEST_DATABASE_URL (the PostgreSQL deployment).
const dir = mkdtempSync(path.join(os.tmpdir(), "winback-bench-"));
let pgName: string | undefined;
let pgUrl: string | undefined;
if (process.env.BENCH_PG && process.env.TEST_DATABASE_URL) {
  pgName = `winback_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pgName}`);
  await admin.end();
  const u = new URL(process.env.TEST_DATABASE_URL);
  u.pathname = `/${pgName}`;
  pgUrl = u.toString();
}
const db = pgUrl ? openDatabase({ url: pgUrl }) : openDatabase({ dataDir: dir });
console.log(`database: ${pgUrl ? "PostgreSQL " + pgName : "PGlite (file-backed) " + dir}`);
await db.ready();
const runId = "bench-run";
await db.sql.query(`INSERT INTO "SyncRun" (id, shop, kind, status, "updatedAt") VALUES ($1, $2, 'initial', 'running', now())`, [
  runId,
  info.shop,
]);
for (const op of info.ops)
  await db.sql.query(`INSERT INTO "SyncBulkOperation" (id, "runId", shop, resource) VALUES ($1, $2, $3, $4)`, [
    op.id,
    runId,
    info.shop,
    op.resource,
  ]);
// Time per statement inside transactions (keyed by its first words), to show where the time goes.
const stmtTimes = new Map<string, number>();
async function timed<T>(sql: string, run: () => Promise<T>): Promise<T> {
  const a = performance.now();
  try {
    return await run();
  } finally {
    const key = sql.replace(/\s+/g, " ").trim().slice(0, 70);
    stmtTimes.set(key, (stmtTimes.get(key) ?? 0) + performance.now() - a);
  }
}
const timeStatements = (tx: typeof db.sql): typeof db.sql =>
  ({
    ...tx,
    query: (text: string, params?: unknown[]) => timed(text, () => tx.query(text, params)),
    copyFrom: (table: string, columns: string[], rows: string) => timed(`COPY "${table}"`, () => tx.copyFrom(table, columns, rows)),
    exec: (text: string) => timed(text, () => tx.exec(text)),
  }) as typeof db.sql;
const timedSql = {
  ...db.sql,
  transaction: <T>(fn: (tx: typeof db.sql) => Promise<T>) => db.sql.transaction((tx) => fn(timeStatements(tx))),
};
// CPU seconds of every process of a command name (PostgreSQL's backends, the emulator's node).
function cpuOf(match: (pid: number, comm: string) => boolean): number {
  let ticks = 0;
  for (const d of readdirSync("/proc")) {
    const pid = Number(d);
    if (!pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (!match(pid, comm)) continue;
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* exited */
    }
  }
  return ticks / 100;
}
// This run's own PostgreSQL backends: their process title names the database (other work on a shared
// machine's server is left out).
const ownBackend = (pid: number) => {
  try {
    return !pgName || readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(pgName);
  } catch {
    return false;
  }
};
// The app's main thread (its thread id is the process id) apart from its other threads (parse
// workers, V8's GC helpers, libuv's pool).
const mainThreadCpu = () => {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
};
const cpu = () => ({
  app: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  main: mainThreadCpu(),
  pg: cpuOf((p, c) => c.startsWith("postgres") && ownBackend(p)),
  emu: cpuOf((p) => p === host.pid),
});
// RSS over the ingest, every 2 s (flat memory: the same plateau at 1M and 3M orders).
const rssSamples: number[] = [];
const rssTimer = setInterval(() => rssSamples.push(Math.round(process.memoryUsage.rss() / 1048576)), 2000);
let lastBatchAt = 0;
const deps: SyncDeps = {
  onCheckpoint: () => {
    lastBatchAt = performance.now();
  },
  sql: timedSql,
  client: async (shop) => createAdminClient({ shop, accessToken: info.token, urlTemplate: `${info.url}/{shop}` }),
  queue: { send: async () => null },
  finalize: runFinalizer,
  batchLines: Number(process.env.BATCH_LINES ?? 20000),
};
const rssBefore = peakMb();
const cpu0 = cpu();
t = performance.now();
const phases: string[] = [];
for (const op of [...info.ops].reverse()) {
  // customers first, orders last (the last one merges)
  const t1 = performance.now();
  await ingestBulkOperation(deps, op.id);
  const end = performance.now();
  phases.push(
    `${op.resource} ${((end - t1) / 1000).toFixed(2)} s${op.resource === "orders" ? ` = stream ${((lastBatchAt - t1) / 1000).toFixed(2)} s + close ${((end - lastBatchAt) / 1000).toFixed(2)} s` : ""}`,
  );
}
const ingestS = (performance.now() - t) / 1000;
const cpu1 = cpu();
clearInterval(rssTimer);
const run = (await db.sql.query<any>(`SELECT status, "ordersSynced", "customersSynced" FROM "SyncRun" WHERE id = $1`, [runId]))[0];
const c = (
  await db.sql.query<any>(
    `SELECT (SELECT count(*)::int FROM "Order") o, (SELECT count(*)::int FROM "OrderLine") l, (SELECT count(*)::int FROM "Customer") c, (SELECT count(*)::int FROM "Customer" WHERE "orderCount" > 0) buyers`,
  )
)[0];
const direct = stmtTimes.has(`COPY "Order"`);
console.log(`ingest end to end: ${ingestS.toFixed(2)} s, run ${run.status}`);
// "stream": download, parse, validate and write, overlapped (a batch is written while the next is
// parsed); "close": after the last batch, until the run is closed.
console.log(`  ${phases.join(", ")}`);
console.log(
  direct
    ? "  orders went in by direct load (ADR 051): COPYed into the live tables while streaming, in one transaction (ADR 097); close = customers + aggregates + commit"
    : "  orders were staged; close = merge of staging into the live tables + aggregates",
);
console.log(
  `  CPU seconds during ingest: app ${(cpu1.app - cpu0.app).toFixed(1)} (main thread ${(cpu1.main - cpu0.main).toFixed(1)}, parse workers and helper threads ${(cpu1.app - cpu0.app - (cpu1.main - cpu0.main)).toFixed(1)}), PostgreSQL ${(cpu1.pg - cpu0.pg).toFixed(1)} (this database's backends), emulator ${(cpu1.emu - cpu0.emu).toFixed(1)} (2 cores: ${(2 * ingestS).toFixed(1)} available)`,
);
console.log(`  rows: ${c.o} orders, ${c.l} lines, ${c.c} customers (${c.buyers} with qualifying orders)`);
console.log(
  `  ${Math.round(Number(info.orders) / ingestS).toLocaleString("en-US")} orders/s, ${Math.round(totalLines / ingestS).toLocaleString("en-US")} lines/s`,
);
console.log(`  peak RSS ${peakMb()} MB (before ingest ${rssBefore} MB; the app's process, parse workers included)`);
// Ten evenly spaced samples (and the last): a plateau, not a ramp, is what bounded batches give.
const step = Math.max(1, Math.floor(rssSamples.length / 10));
console.log(
  `  RSS during ingest, MB (every ${2 * step} s): ${rssSamples.filter((_, i) => i % step === 0 || i === rssSamples.length - 1).join(" ")}`,
);
console.log(`  JSONL parse workers: ${defaultParseThreads()} (os.availableParallelism() = ${os.availableParallelism()})`);
for (const [k, ms] of [...stmtTimes].sort((a, b) => b[1] - a[1]).slice(0, 8))
  console.log(`    ${(ms / 1000).toFixed(2).padStart(6)} s  ${k}`);
const floor2 = await measureFloor();
const floorMean = (floorS + floor2.s) / 2;
console.log(
  `  floor again after the ingest: ${floor2.s.toFixed(2)} s (before: ${floorS.toFixed(2)} s; ratio to the earlier one alone ${(ingestS / floorS).toFixed(2)}x)`,
);
console.log(`  ratio to JSON.parse floor: ${(ingestS / floorMean).toFixed(2)}x (to the mean of both floors, ${floorMean.toFixed(2)} s)`);

// Webhook latency: new orders for existing customers, aggregates refreshed in the same transaction.
const customers = await db.sql.query<{ id: string }>(`SELECT id::text FROM "Customer" ORDER BY random() LIMIT 200`);
const lat: number[] = [];
let k = 0;
for (const cu of customers) {
  const now = new Date().toISOString();
  const payload = {
    id: 9_000_000_000 + k,
    name: `#B${k}`,
    created_at: now,
    processed_at: now,
    updated_at: now,
    cancelled_at: null,
    test: false,
    financial_status: "paid",
    currency: "USD",
    total_price: "42.00",
    current_total_price: "42.00",
    discount_codes: [],
    customer: { id: Number(cu.id), email: null },
    line_items: [{ id: 9_900_000_000 + k, product_id: 1, variant_id: 2, title: "Bench", vendor: "V", quantity: 1, price: "42.00" }],
  };
  k++;
  const t2 = performance.now();
  await applyOrderWebhook(db.sql, info.shop, payload);
  lat.push(performance.now() - t2);
}
lat.sort((a, b) => a - b);
console.log(
  `order webhook -> aggregates: median ${lat[lat.length >> 1]!.toFixed(2)} ms, p95 ${lat[Math.floor(lat.length * 0.95)]!.toFixed(2)} ms (${lat.length} webhooks)`,
);
host.kill("SIGTERM");
await db.close();
rmSync(dir, { recursive: true, force: true });
if (pgName && process.env.BENCH_KEEP_DB) console.log(`kept database ${pgName}`);
else if (pgName) {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
  await admin.end();
}
