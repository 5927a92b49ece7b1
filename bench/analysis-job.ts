/**
 * The analysis JOB at scale (issue 14 item 2): npx tsx bench/analysis-job.ts [customers=1000000]
 * Needs PostgreSQL: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (a database
 * `winback_bench_analysis_<customers>` is created next to it and kept, so a second run skips the
 * seeding; BENCH_RESEED=1 seeds it again, BENCH_DROP=1 drops it at the end).
 *
 * 1. Seeds a shop of `customers` customers and about 5 orders each straight into the sync's tables
 *    with COPY (the BG/NBD process of bench/analytics.ts, orders in time order as a real shop stores
 *    them, plus guest, test and cancelled orders). Seeding time is not counted.
 * 2. Runs the real job (`runAnalysisJob`, app/analysis/jobs.ts) once in a child process, so its peak
 *    RSS is the job's own and not the seeder's or the baseline's, and prints wall time, CPU, peak RSS,
 *    the time of each phase (read, fit, score, write) and the delay of the job thread's event loop
 *    (p50/p95/p99/max: what a webhook arriving during the job would wait; ADR 096).
 *    `--seed-only` seeds the database and stops (seed a 1M shop ahead of a timed run).
 * 3. As baseline, the pure in-memory analysis of the same orders (HistoryAccumulator + analyze, as
 *    bench/analytics.ts measures it) in this process, and the ratio job / baseline.
 * Last line: `ANALYSIS: <s> s <MB> MB` (the job's wall time and peak RSS).
 */
import { fork } from "node:child_process";
import os from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openDatabase } from "../app/db/open";
import { copyText, type Sql } from "../app/db/sql";
import { runAnalysisJob } from "../app/analysis/jobs";
import type { AnalysisPhases } from "../app/analysis/run-analysis";
import { analyze, HistoryAccumulator, localDay } from "../app/domain/analytics/index";

export const BENCH_SHOP = "analysis-scale.myshopify.com";
const TZ = "America/New_York";
// The data's last day (2025-12-31 in UTC day numbers) and the analysis date: the day after.
const START_DAY = 20089 - 1095;
const SPAN_DAYS = 1095;
export const BENCH_AS_OF = new Date((START_DAY + SPAN_DAYS) * 86_400_000 + 12 * 3_600_000);

/** One generated order, as the seeder writes it and the baseline reads it. */
interface GenOrder {
  id: number;
  /** null: a guest order. */
  customerId: number | null;
  /** processedAt, epoch ms. */
  at: number;
  /** Cents. */
  cents: number;
  test: boolean;
  cancelled: boolean;
}

function rng(seed: number) {
  let s = seed;
  const rnd = () => {
    s |= 0;
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Marsaglia-Tsang, as bench/analytics.ts
  const gamma = (k: number): number => {
    if (k < 1) return gamma(k + 1) * Math.pow(rnd(), 1 / k);
    const d = k - 1 / 3,
      c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        const u1 = rnd(),
          u2 = rnd();
        x = Math.sqrt(-2 * Math.log(u1 || 1e-300)) * Math.cos(2 * Math.PI * u2);
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      if (Math.log(rnd()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  return { rnd, gamma };
}

/**
 * The orders of a synthetic shop, day by day in time order (so one customer's orders lie scattered
 * over the table as in a real shop), handed to `emit` in batches. Deterministic for a seed. The
 * purchase process is bench/analytics.ts's (BG/NBD with r=0.8, alpha=62 days, a=0.6, b=2.5: about 5
 * orders per customer over three years); 3% of orders are guest orders, 0.5% test, 2% cancelled.
 */
function* generateOrders(customers: number, seed: number): Generator<GenOrder[]> {
  const { rnd, gamma } = rng(seed);
  const truth = { r: 0.8, alpha: 62, a: 0.6, b: 2.5 };
  // Per day, the (customer, cents) of its orders: built customer by customer, emitted day by day.
  const perDay: number[][] = Array.from({ length: SPAN_DAYS }, () => []);
  for (let c = 1; c <= customers; c++) {
    const lam = gamma(truth.r) / truth.alpha;
    const x = gamma(truth.a);
    const p = x / (x + gamma(truth.b));
    let t = Math.floor(rnd() * SPAN_DAYS * 0.7);
    const spend = 20 + 60 * gamma(2);
    for (;;) {
      perDay[t]!.push(c, Math.round(spend * (0.5 + rnd()) * 100));
      t += Math.max(1, Math.ceil(-Math.log(rnd() || 1e-12) / lam));
      if (t >= SPAN_DAYS || rnd() < p) break;
    }
  }
  let id = 0;
  for (let d = 0; d < SPAN_DAYS; d++) {
    const day = perDay[d]!;
    perDay[d] = [];
    const batch: GenOrder[] = [];
    for (let k = 0; k < day.length; k += 2) {
      const u = rnd();
      const at = (START_DAY + d) * 86_400_000 + Math.floor(rnd() * 86_400_000);
      batch.push({
        id: ++id,
        customerId: u < 0.03 ? null : day[k]!,
        at,
        cents: day[k + 1]!,
        test: u > 0.995,
        cancelled: u > 0.975 && u <= 0.995,
      });
    }
    yield batch;
  }
}

/**
 * Seeds `shop` with `customers` customers and their orders (about five each) through COPY into the
 * sync's tables (`Shop`, `Customer` with its order aggregates, `Order`), replacing what the shop had.
 * For bench/scale.ts too. Returns the counts it wrote.
 */
export async function seedAnalysisShop(
  sql: Sql,
  opts: { shop?: string; customers: number; seed?: number; log?: (line: string) => void },
): Promise<{ shop: string; customers: number; orders: number; ms: number }> {
  const shop = opts.shop ?? BENCH_SHOP;
  const t0 = performance.now();
  await sql.query(
    `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", settings, "updatedAt") VALUES ($1, 'Scale shop', 'USD', $2, '{}'::jsonb, now())
     ON CONFLICT (domain) DO UPDATE SET "ianaTimezone" = EXCLUDED."ianaTimezone", "uninstalledAt" = NULL`,
    [shop, TZ],
  );
  for (const t of ["CustomerScore", "AnalysisRun", "Order", "Customer"]) await sql.query(`DELETE FROM "${t}" WHERE shop = $1`, [shop]);
  const s = copyText(shop);
  const agg = { n: new Int32Array(opts.customers + 1), cents: new Float64Array(opts.customers + 1) };
  const first = new Float64Array(opts.customers + 1),
    last = new Float64Array(opts.customers + 1);
  let buf: string[] = [];
  let pending = 0;
  const flush = async () => {
    if (!buf.length) return;
    const rows = buf.join("");
    buf = [];
    pending = 0;
    await sql.copyFrom(
      "Order",
      [
        "shop",
        "id",
        "customerId",
        "name",
        "processedAt",
        "createdAt",
        "updatedAt",
        "cancelledAt",
        "test",
        "currentTotal",
        "totalPrice",
        "currency",
      ],
      rows,
    );
  };
  let orders = 0;
  for (const batch of generateOrders(opts.customers, opts.seed ?? 42)) {
    orders += batch.length;
    for (const o of batch) {
      const ts = new Date(o.at).toISOString().replace("T", " ").replace("Z", "");
      const total = (o.cents / 100).toFixed(2);
      buf.push(
        `${s}\t${o.id}\t${o.customerId ?? "\\N"}\t#${o.id}\t${ts}\t${ts}\t${ts}\t${o.cancelled ? ts : "\\N"}\t${o.test ? "t" : "f"}\t${total}\t${total}\tUSD\n`,
      );
      if (o.customerId !== null && !o.test && !o.cancelled) {
        const c = o.customerId;
        if (!agg.n[c]) first[c] = o.at;
        agg.n[c]!++;
        agg.cents[c]! += o.cents;
        last[c] = o.at;
      }
    }
    if (++pending >= 30) await flush();
  }
  await flush();
  const iso = (ms: number) => new Date(ms).toISOString().replace("T", " ").replace("Z", "");
  for (let from = 1; from <= opts.customers; from += 100_000) {
    const lines: string[] = [];
    for (let c = from; c < Math.min(from + 100_000, opts.customers + 1); c++) {
      const n = agg.n[c]!;
      lines.push(
        `${s}\t${c}\tc${c}@example.com\tFirst${c}\tLast${c}\t${n}\t${(agg.cents[c]! / 100).toFixed(2)}\t${n ? iso(first[c]!) : "\\N"}\t${n ? iso(last[c]!) : "\\N"}\n`,
      );
    }
    await sql.copyFrom(
      "Customer",
      ["shop", "id", "email", "firstName", "lastName", "orderCount", "totalSpent", "firstOrderAt", "lastOrderAt"],
      lines.join(""),
    );
  }
  await sql.exec(`ANALYZE "Order"; ANALYZE "Customer"`);
  const ms = performance.now() - t0;
  opts.log?.(`seeded ${opts.customers} customers, ${orders} orders in ${(ms / 1000).toFixed(1)} s`);
  return { shop, customers: opts.customers, orders, ms };
}

/** What one job run reports (bench/scale.ts prints the same). */
export interface AnalysisJobFigures {
  wallMs: number;
  /** CPU time of this process during the job (user + system; the machine may be shared, wall time is not all ours). */
  cpuMs: number;
  /** Peak RSS of the process so far, MB (process.resourceUsage().maxRSS). */
  peakRssMb: number;
  customers: number;
  phases: AnalysisPhases;
  /** Delay of this (the job's, the web server's) thread's event loop during the job, ms. */
  loopDelay: { p50: number; p95: number; p99: number; max: number };
  /** Highest RSS sampled (every 50 ms, the whole process: both threads) while reading, fitting and writing, MB. */
  rssByPhase: { read: number; fit: number; write: number };
  /** Highest V8 heap of the job's thread alone (heapTotal) in the same samples, MB: the rest of the RSS is the worker's and native memory. */
  mainHeapByPhase: { read: number; fit: number; write: number };
}

/**
 * Runs the app's analysis job (`runAnalysisJob`, as the queue's handler does) once for `shop`, as
 * of `asOf`, and reports its wall time, the process's peak RSS and the job's phases. For bench/scale.ts.
 */
export async function runAnalysisJobOnce(sql: Sql, shop: string = BENCH_SHOP, asOf: Date = BENCH_AS_OF): Promise<AnalysisJobFigures> {
  let phases: AnalysisPhases | undefined;
  // What a webhook arriving during the job would wait for before its handler runs (ADR 096).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Where the peak RSS is reached: samples of (time, RSS), split by the phases' durations afterwards.
  const samples: Array<[number, number]> = [];
  const heap: Array<[number, number]> = [];
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    samples.push([performance.now() - t0, m.rss]);
    heap.push([performance.now() - t0, m.heapTotal]);
  }, 50);
  // BENCH_IN_THREAD=1: the computation on the job's own thread (the fallback, and what ran before ADR 096), for comparison.
  const compute = process.env.BENCH_IN_THREAD ? { inThread: true } : undefined;
  const out = await runAnalysisJob(
    { sql, queue: { send: async () => null }, now: () => asOf, onPhases: (p) => (phases = p), compute },
    shop,
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  loop.disable();
  const ms = (ns: number) => ns / 1e6;
  if (!out || !phases) throw new Error(`The analysis job did not run for ${shop} (not installed?)`);
  return {
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    customers: out.summary.customers,
    phases,
    loopDelay: { p50: ms(loop.percentile(50)), p95: ms(loop.percentile(95)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
    rssByPhase: rssByPhase(samples, phases),
    mainHeapByPhase: rssByPhase(heap, phases),
  };
}

function rssByPhase(samples: Array<[number, number]>, p: AnalysisPhases): AnalysisJobFigures["rssByPhase"] {
  const peak = (from: number, to: number) =>
    Math.max(0, ...samples.filter(([t]) => t >= from && t < to).map(([, rss]) => rss)) / 1024 / 1024;
  return { read: peak(0, p.readMs), fit: peak(p.readMs, p.readMs + p.fitMs), write: peak(p.readMs + p.fitMs, Infinity) };
}

/** The same orders through the pure analysis in memory (no database): the baseline. */
function baseline(customers: number, seed = 42): { ms: number; cpuMs: number; customers: number; orders: number } {
  const acc = new HistoryAccumulator(TZ);
  let orders = 0;
  // The orders are generated first (not timed), as the job's are already stored.
  const all: GenOrder[] = [];
  for (const batch of generateOrders(customers, seed)) for (const o of batch) if (!o.test && !o.cancelled) all.push(o);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const o of all) {
    orders++;
    acc.addDay(o.customerId === null ? null : String(o.customerId), localDay(o.at, TZ), o.cents / 100);
  }
  const r = analyze(acc.build(), { asOf: localDay(BENCH_AS_OF, TZ), timeUnit: "week" });
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, customers: r.customers, orders };
}

const s = (ms: number) => (ms / 1000).toFixed(2);

async function benchDatabase(customers: number): Promise<string> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("Set TEST_DATABASE_URL (postgres://postgres@127.0.0.1:5432/test): the job's figures are PostgreSQL's");
  const name = `winback_bench_analysis_${customers}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  if (process.env.BENCH_RESEED) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  const exists = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name]);
  if (!exists.rows.length) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

async function main() {
  const customers = Number(process.argv.slice(2).find((a) => !a.startsWith("--")) ?? 1_000_000);
  const url = await benchDatabase(customers);
  const db = openDatabase({ url });
  await db.ready();
  const have = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Customer" WHERE shop = $1`, [BENCH_SHOP]);
  if (have[0]!.n !== customers) await seedAnalysisShop(db.sql, { customers, log: console.log });
  else console.log(`database ${new URL(url).pathname.slice(1)} already seeded with ${customers} customers (BENCH_RESEED=1 seeds again)`);
  const orders = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Order" WHERE shop = $1`, [BENCH_SHOP]);
  await db.close();
  // Seed a big shop ahead of the timed run (seeding 1M customers takes minutes).
  if (process.argv.includes("--seed-only")) return;

  // The job in a process of its own: its peak RSS is the job's alone.
  const loadAtStart = os.loadavg()[0]!.toFixed(1);
  const child = fork(fileURLToPath(import.meta.url), ["--job"], {
    env: { ...process.env, BENCH_JOB_URL: url },
    // BENCH_CPU_PROF=<dir>: a CPU profile of the job process, one file per thread (the analysis worker's included).
    execArgv: ["--import", "tsx", ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
  });
  const job = await new Promise<AnalysisJobFigures>((resolve, reject) => {
    child.once("message", (m) => resolve(m as AnalysisJobFigures));
    child.once("exit", (code) => reject(new Error(`job process exited ${code}`)));
  });
  const p = job.phases;
  const load = () => os.loadavg()[0]!.toFixed(1);
  console.log(
    `job: ${job.customers} customers scored from ${orders[0]!.n} stored orders in ${s(job.wallMs)} s (CPU ${s(job.cpuMs)} s), peak RSS ${job.peakRssMb.toFixed(0)} MB; load average ${loadAtStart} -> ${load()} on ${os.cpus().length} cores`,
  );
  console.log(
    `  phases: read ${s(p.readMs)} s (${p.batches} batches; histories built ${s(p.buildMs)} s ${p.worker ? "on the worker" : "in-thread"}), fit ${s(p.fitMs)} s, write ${s(p.writeMs)} s (COPY into the run's table ${s(p.loadMs ?? 0)} s, indexes ${s(p.indexMs ?? 0)} s, swap ${s(p.swapMs)} s; scoring + COPY text ${s(p.scoreMs)} s of it, ${p.worker ? "on the worker" : "in-thread"}), other ${s(job.wallMs - p.readMs - p.fitMs - p.writeMs)} s`,
  );
  const r = job.rssByPhase;
  const h = job.mainHeapByPhase;
  console.log(
    `  peak RSS sampled while reading ${r.read.toFixed(0)} MB, fitting ${r.fit.toFixed(0)} MB, writing ${r.write.toFixed(0)} MB (of which the job thread's V8 heap ${h.read.toFixed(0)} / ${h.fit.toFixed(0)} / ${h.write.toFixed(0)} MB)`,
  );
  const d = job.loopDelay;
  console.log(
    `  event-loop delay of the job's thread during the job: p50 ${d.p50.toFixed(1)} ms, p95 ${d.p95.toFixed(1)} ms, p99 ${d.p99.toFixed(1)} ms, max ${d.max.toFixed(1)} ms (resolution 10 ms)`,
  );
  const b = baseline(customers);
  console.log(
    `baseline (same orders, pure analysis in memory): ${b.customers} customers, ${b.orders} orders in ${s(b.ms)} s (CPU ${s(b.cpuMs)} s); job/baseline = ${(job.wallMs / b.ms).toFixed(2)}x wall, ${(job.cpuMs / b.cpuMs).toFixed(2)}x CPU`,
  );
  if (process.env.BENCH_DROP) {
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
    await admin.end();
  }
  console.log(`ANALYSIS: ${s(job.wallMs)} s ${job.peakRssMb.toFixed(0)} MB`);
}

async function jobProcess() {
  const db = openDatabase({ url: process.env.BENCH_JOB_URL! });
  await db.ready();
  const figures = await runAnalysisJobOnce(db.sql);
  await db.close();
  process.send!(figures, () => process.exit(0));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await (process.argv.includes("--job") ? jobProcess() : main());
}
