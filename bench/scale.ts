// The whole product on a big shop (issue 14 item 1, docs/decisions/087-scale-benchmark.md):
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/scale.ts
// Options (env): SCALE_CUSTOMERS (default 1000000), SCALE_ORDERS_PER_CUSTOMER (default 5),
// SCALE_STORM_RATE (1000/s), SCALE_STORM_SECONDS (30), SCALE_STORM_CONCURRENCY (200),
// SCALE_PAGE_RUNS (20), SCALE_EXPORT_RUNS (3), SCALE_EMAIL_SECONDS (60), SCALE_OUTREACH_TASKS (50000),
// BENCH_KEEP_DB=1 keeps the database, WINBACK_APP_LOGS=1 echoes the app's log.
//
// A fresh PostgreSQL database; the emulator (child process) holds a generated shop; the production
// build is served on that database with pg-boss and installed for the shop with a real session
// token, so the shop arrives through the app's own sync (bulk export, download, ingest). Then, as a
// merchant and as Shopify would: the analysis job, an orders/create webhook storm during a second
// analysis, a campaign launch, its Day-0 emails into a local SMTP sink, and every page's loader.
// Figures only, nothing asserted; the last line sums them up (SCALE: ...).
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { encodeCursor, SORTS, type SortKey } from "../app/analysis/explore-segments";
import { buildApp, freePort, ROOT, startAppServer, type AppServer } from "../test/support/app-server";
import { mintSessionToken } from "../test/shopify-emulator/auth";
import { startCountingSink, type CountingSink } from "./scale/smtp-sink";
import { checkAggregates, checkStorm, latencyFigures, pct, runStorm, type StormCheck, type StormResult } from "./scale/storm";

const num = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt);
// `--only storm` stops after the webhook storms (sync, first analysis, storms, checks);
// `--customers N` is SCALE_CUSTOMERS.
const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ONLY = arg("only");
if (ONLY !== undefined && ONLY !== "storm") throw new Error(`--only ${ONLY}: only "storm" is known`);
const CUSTOMERS = arg("customers") ? Number(arg("customers")) : num("SCALE_CUSTOMERS", 1_000_000);
const PER_CUSTOMER = num("SCALE_ORDERS_PER_CUSTOMER", 5);
const STORM_RATE = num("SCALE_STORM_RATE", 1000);
const STORM_SECONDS = num("SCALE_STORM_SECONDS", 30);
const STORM_CONCURRENCY = num("SCALE_STORM_CONCURRENCY", 200);
// A storm with no analysis running first: the same app, database and sender, the baseline.
const STORM_BASELINE_SECONDS = num("SCALE_STORM_BASELINE_SECONDS", 10);
// Deliveries still unsent this long after their due time are given up (reported): bounds the run.
const STORM_MAX_LAG = num("SCALE_STORM_MAX_LAG_SECONDS", 30);
const PAGE_RUNS = num("SCALE_PAGE_RUNS", 20);
const EXPORT_RUNS = num("SCALE_EXPORT_RUNS", 3);
const EMAIL_SECONDS = num("SCALE_EMAIL_SECONDS", 60);
const OUTREACH_TASKS = num("SCALE_OUTREACH_TASKS", 50_000);
const API_KEY = "winback-scale-key";
const UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 winback-scale-bench";
const API_SECRET = "winback-scale-secret";
const BASE_URL = process.env.TEST_DATABASE_URL;
if (!BASE_URL) throw new Error("TEST_DATABASE_URL=postgres://… is required (the bench creates and drops its own database there)");

const T0 = performance.now();
const log = (line: string) =>
  console.log(`[${new Date().toISOString().slice(11, 19)} +${((performance.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uptime = () => execFileSync("uptime", { encoding: "utf8" }).trim();
const s1 = (ms: number) => (ms / 1000).toFixed(1);
const ms0 = (ms: number) => ms.toFixed(0);

// ---- resources, released in reverse order whatever happens ----
const cleanups: Array<() => Promise<void> | void> = [];
let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        console.error("cleanup:", e);
      }
    }
  })();
  return cleaning;
}
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  });

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb("VmRSS") / 1024), hwm: Math.round(kb("VmHWM") / 1024) };
}
/** CPU time (user + system) the process's main thread has used, in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  // The main thread only (task <pid>): it serves the webhooks; the analysis computes on its own thread.
  const f = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}
/**
 * What a storm cost beside its latencies, figures the machine's load does not scale: the app
 * process's CPU and the database's transactions (pg_stat_database; every autocommit statement is
 * one) per answered delivery. The analysis and pg-boss's polling count too, so the baseline storm
 * (no analysis) is the webhook path's own cost.
 */
async function costMeter(q: <T = any>(text: string, params?: unknown[]) => Promise<T[]>, pid: number) {
  const xacts = async () =>
    Number(
      (
        await q<{ n: string }>(`SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()`)
      )[0]!.n,
    );
  const cpu0 = cpuMsOf(pid);
  const x0 = await xacts();
  return async (answered: number) => {
    await sleep(1000); // statistics reach pg_stat_database within a second of a transaction's end
    const cpu = cpuMsOf(pid) - cpu0;
    const x = (await xacts()) - x0;
    return {
      cpuMsPer: cpu / answered,
      xactsPer: x / answered,
      text: `app main-thread CPU ${(cpu / answered).toFixed(2)} ms and ${(x / answered).toFixed(1)} database transactions per delivery`,
    };
  };
}
/** Resets the process's peak RSS (VmHWM) to its current RSS (Linux clear_refs 5), so a later peak is one phase's. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

let appLogs: string[] = [];

interface Summary {
  samples: number[];
  p50: number;
  p95: number;
}
const summarize = (samples: number[]): Summary => {
  const s = [...samples].sort((a, b) => a - b);
  return { samples: s, p50: pct(s, 0.5), p95: pct(s, 0.95) };
};

async function main() {
  log(`load at start: ${uptime()}`);
  log(`the machine is shared (2 cores, several engineers): timings are noisy whenever the load average exceeds 2`);
  log(`shop: ${CUSTOMERS} customers, ~${PER_CUSTOMER} orders each`);

  // ---- database ----
  const dbName = `winback_scale_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  cleanups.push(async () => {
    if (process.env.BENCH_KEEP_DB) return log(`kept database ${dbName}`);
    const a = new pg.Client({ connectionString: BASE_URL });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await a.end();
    log(`dropped database ${dbName}`);
  });
  const dbUrlObj = new URL(BASE_URL!);
  dbUrlObj.pathname = `/${dbName}`;
  const dbUrl = dbUrlObj.toString();
  const db = new pg.Pool({ connectionString: dbUrl, max: 3 });
  cleanups.push(() => db.end());
  const q = async <T = any>(text: string, params: unknown[] = []) => (await db.query(text, params)).rows as T[];
  log(`database ${dbName}`);

  // ---- emulator (child process) ----
  const appPort = await freePort();
  const appUrl = `http://localhost:${appPort}`;
  const host: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(ROOT, "bench/scale/emulator-host.ts"),
      String(CUSTOMERS),
      String(PER_CUSTOMER),
      API_KEY,
      API_SECRET,
      appUrl,
    ],
    { stdio: ["ignore", "pipe", "inherit"], cwd: ROOT },
  );
  cleanups.push(async () => {
    if (host.exitCode !== null) return;
    const exited = new Promise((r) => host.once("exit", r));
    host.kill("SIGTERM");
    await Promise.race([exited, sleep(5000)]);
    if (host.exitCode === null) host.kill("SIGKILL");
  });
  const emu = await new Promise<{ url: string; shop: string; customers: number; orders: number; prepareMs: number }>((resolve, reject) => {
    createInterface({ input: host.stdout! }).once("line", (l) => resolve(JSON.parse(l)));
    host.once("exit", (c) => reject(new Error(`emulator host exited ${c}`)));
  });
  const SHOP = emu.shop;
  log(`emulator: ${emu.customers} customers, ${emu.orders} orders generated in ${s1(emu.prepareMs)} s`);

  // ---- app ----
  log("building the app (skipped when build/ is current)");
  buildApp();
  const sink: CountingSink = await startCountingSink();
  cleanups.push(() => sink.close());
  const app: AppServer = await startAppServer({
    port: appPort,
    env: {
      SHOPIFY_API_KEY: API_KEY,
      SHOPIFY_API_SECRET: API_SECRET,
      SHOPIFY_APP_URL: appUrl,
      SHOPIFY_ADMIN_URL_TEMPLATE: `${emu.url}/{shop}`,
      APP_BRIDGE_URL: `${emu.url}/app-bridge.js`,
      ADMIN_FRAME_ORIGINS: emu.url,
      DATABASE_URL: dbUrl,
      SMTP_URL: sink.smtpUrl,
    },
  });
  cleanups.push(() => app.stop());
  appLogs = app.logs;
  const pid = app.process.pid!;
  log(`app serving on ${appUrl} (pid ${pid}, ${memoryOf(pid).rss} MB)`);

  // The app migrates its database when it starts; the admin's first request must not race it.
  const migrations = readdirSync(path.join(ROOT, "prisma/migrations"), { withFileTypes: true }).filter((d) => d.isDirectory()).length;
  for (let waited = 0; ; waited += 250) {
    const done = await q<{ n: number }>(
      `SELECT CASE WHEN to_regclass('"_prisma_migrations"') IS NULL THEN 0 ELSE (SELECT count(*)::int FROM "_prisma_migrations" WHERE finished_at IS NOT NULL) END AS n`,
    ).catch(() => [{ n: 0 }]);
    if (done[0]!.n >= migrations) break;
    if (waited > 300_000) throw new Error(`the app migrated ${done[0]!.n} of ${migrations} migrations in 5 minutes`);
    await sleep(250);
  }
  const token = () => mintSessionToken(SHOP, API_KEY, API_SECRET, Date.now() - 2_000);
  const hostParam = Buffer.from(`admin.shopify.com/store/${SHOP.replace(".myshopify.com", "")}`).toString("base64url");
  /** A request as the embedded app makes it: App Bridge's fetch adds a fresh session token. */
  const appFetch = (p: string, init: { method?: string; form?: Record<string, string> } = {}) =>
    fetch(`${appUrl}${p}`, {
      method: init.method ?? "GET",
      // A browser's User-Agent: the Shopify library answers 410 to requests that look like bots.
      headers: { Authorization: `Bearer ${token()}`, "User-Agent": UA },
      ...(init.form ? { body: new URLSearchParams(init.form) } : {}),
    });
  /** A loader's data as Remix fetches it on client navigation (`?_data=<route id>`). */
  const loaderData = async (p: string, routeId: string) => {
    const sep = p.includes("?") ? "&" : "?";
    const res = await appFetch(`${p}${sep}_data=${encodeURIComponent(routeId)}`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${p}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  };

  // ---- install: the admin opens the app; the token exchange and the first sync follow ----
  const tInstall = performance.now();
  const install = await fetch(`${appUrl}/app?embedded=1&shop=${SHOP}&host=${hostParam}&id_token=${token()}`, {
    headers: { "User-Agent": UA },
  });
  await install.text();
  if (install.status !== 200) throw new Error(`install failed: HTTP ${install.status}\n${app.logs.join("").slice(-3000)}`);
  log("installed; waiting for the initial sync");
  let sync: any;
  let lastLog = 0;
  for (;;) {
    sync = (
      await q(
        `SELECT status, "ordersSynced", "customersSynced", "errorMessage", extract(epoch FROM ("finishedAt" - "startedAt"))::float8 AS secs
         FROM "SyncRun" WHERE shop = $1 AND kind = 'initial' ORDER BY "startedAt" DESC LIMIT 1`,
        [SHOP],
      )
    )[0];
    if (sync && sync.status !== "running") break;
    if (app.process.exitCode !== null) throw new Error(`app exited:\n${app.logs.join("").slice(-3000)}`);
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      log(
        `sync: ${sync ? `${sync.status}, ${sync.ordersSynced} orders, ${sync.customersSynced} customers` : "not started"}; app RSS ${memoryOf(pid).rss} MB`,
      );
    }
    await sleep(250);
  }
  const syncWall = performance.now() - tInstall;
  // The analysis job starts as soon as the sync completes: its peak is measured from here.
  const peakReset = resetPeak(pid);
  const syncPeak = memoryOf(pid).hwm;
  if (sync.status !== "completed") throw new Error(`sync ${sync.status}: ${sync.errorMessage}`);
  const counts = (
    await q(`SELECT (SELECT count(*)::int FROM "Order" WHERE shop = $1) o, (SELECT count(*)::int FROM "Customer" WHERE shop = $1) c`, [
      SHOP,
    ])
  )[0];
  log(
    `sync completed: ${counts.o} orders, ${counts.c} customers; install → synced ${s1(syncWall)} s (run ${Number(sync.secs).toFixed(1)} s); app peak RSS so far ${syncPeak} MB`,
  );

  // ---- the analysis job ----
  // With --only storm the storm meets this first analysis (the sync's completion requested it).
  const analysis = ONLY === "storm" ? null : await waitAnalysis(q, SHOP, null, log, pid);
  const analysisPeak = memoryOf(pid).hwm;
  if (analysis)
    log(
      `analysis: ${analysis.status}, ${analysis.customers} customers scored in ${s1(analysis.ms)} s (job wall time); app peak RSS during it ${analysisPeak} MB${peakReset ? "" : " (peak reset unavailable: peak since start)"}`,
    );

  // ---- webhook storms: a baseline with no analysis running, then one during the analysis ----
  // The merchant saves the analysis settings (including lapsed customers in the targets, so the
  // launch below has the most customers to reach); the save requests a recompute, which runs while
  // the storm arrives (docs/decisions/108-webhook-storm.md).
  const settings = await loaderData("/app/settings", "routes/app.settings._index");
  const form = analysisSettingsForm(settings.value, { includeLost: true });
  // Customers the analysis does not target (at most a tenth of the shop): a new order makes a
  // customer active again, and the launch below should still find the lapsed ones.
  // (With --only storm no score exists yet: any customers.)
  const stormCustomers = (
    await q<{ id: string }>(
      ONLY === "storm"
        ? `SELECT id::text AS id FROM "Customer" WHERE shop = $1 ORDER BY random() LIMIT LEAST(30000, $2::int / 10)`
        : `SELECT "customerId"::text AS id FROM "CustomerScore" WHERE shop = $1 AND NOT target ORDER BY random() LIMIT LEAST(30000, $2::int / 10)`,
      [SHOP, counts.c],
    )
  ).map((r) => r.id);
  const aggregatesBefore = await checkAggregates(q, SHOP);
  log(
    `aggregates before the storms: ${aggregatesBefore.wrong} of ${aggregatesBefore.checked} customers differ from a from-scratch computation${aggregatesBefore.samples.length ? ` (${aggregatesBefore.samples.join("; ")})` : ""}`,
  );
  const stormOpts = {
    appUrl,
    shop: SHOP,
    secret: API_SECRET,
    ratePerSec: STORM_RATE,
    concurrency: STORM_CONCURRENCY,
    customers: stormCustomers,
    maxLagSeconds: STORM_MAX_LAG,
    log,
  };
  let baseline = null as StormReport | null; // set by runBaseline
  const runBaseline = async () => {
    if (STORM_BASELINE_SECONDS <= 0) return;
    log(`baseline storm (no analysis running): ${STORM_RATE}/s for ${STORM_BASELINE_SECONDS} s, at most ${STORM_CONCURRENCY} in flight`);
    const running = await q<{ n: number }>(`SELECT count(*)::int AS n FROM "AnalysisRun" WHERE shop = $1 AND status = 'running'`, [SHOP]);
    if (running[0]!.n) log(`(an analysis is running: the baseline is not quiet)`);
    const meter = await costMeter(q, pid);
    const b = await runStorm({ ...stormOpts, seconds: STORM_BASELINE_SECONDS, orderIdBase: 8_000_000_000_000, seed: 7 });
    const cost = await meter(b.answered);
    baseline = report("baseline", b, await checkStorm(q, SHOP, b), () => false);
    baseline.cost = cost.text;
    log(`storm baseline: ${cost.text}`);
  };
  // The full run storms after the first analysis (the baseline first); --only storm during it (the baseline after).
  if (ONLY !== "storm") await runBaseline();
  const lastRun: string | null =
    ONLY === "storm"
      ? null
      : (await q<{ id: string }>(`SELECT id FROM "AnalysisRun" WHERE shop = $1 ORDER BY "startedAt" DESC LIMIT 1`, [SHOP]))[0]!.id;
  const saveSettings = async () => {
    const saved = await appFetch("/app/settings?index&_data=routes%2Fapp.settings._index", { method: "POST", form });
    if (saved.status !== 200) throw new Error(`settings save: HTTP ${saved.status} ${(await saved.text()).slice(0, 300)}`);
  };
  if (ONLY !== "storm") await saveSettings();
  log(
    `${ONLY === "storm" ? "the first analysis is running" : "settings saved (targets include lost customers)"}; storm: ${STORM_RATE}/s for ${STORM_SECONDS} s, at most ${STORM_CONCURRENCY} in flight`,
  );
  resetPeak(pid);
  const analysis2 = waitAnalysis(q, SHOP, lastRun, () => {}, pid);
  // A small shop's analysis ends before the storm does: the merchant saves again whenever the
  // last run finished, so the whole storm meets an analysis (less the queue's pickup gaps, which
  // the figures below separate by the runs' own start and finish times).
  let storming = true;
  let extraRuns = 0;
  const keeper = (async () => {
    let since: string | null = lastRun;
    for (;;) {
      await waitAnalysis(q, SHOP, since, () => {}, pid);
      if (!storming) return;
      since = (await q<{ id: string }>(`SELECT id FROM "AnalysisRun" WHERE shop = $1 ORDER BY "startedAt" DESC LIMIT 1`, [SHOP]))[0]!.id;
      await saveSettings();
      extraRuns++;
    }
  })();
  const tStorm = Date.now();
  const meter = await costMeter(q, pid);
  const stormRun = await runStorm({ ...stormOpts, seconds: STORM_SECONDS, orderIdBase: 9_000_000_000_000, seed: 42 });
  storming = false;
  const stormCost = await meter(stormRun.answered);
  const stormCheck = await checkStorm(q, SHOP, stormRun);
  const runs = await q<{ from: string; to: string }>(
    `SELECT (extract(epoch FROM "startedAt") * 1000)::bigint::text AS from, (extract(epoch FROM coalesce("finishedAt", now() AT TIME ZONE 'UTC')) * 1000)::bigint::text AS to
     FROM "AnalysisRun" WHERE shop = $1 AND ($2::text IS NULL OR "startedAt" > (SELECT "startedAt" FROM "AnalysisRun" WHERE id = $2)) ORDER BY "startedAt"`,
    [SHOP, lastRun],
  );
  const spans = runs.map((r) => [Number(r.from), Number(r.to)] as const);
  const inAnalysis = (i: number) => spans.some(([f, t]) => stormRun.sentAt[i]! >= f && stormRun.sentAt[i]! <= t);
  const tEnd = tStorm + stormRun.seconds * 1000;
  const covered = spans.reduce((sum, [f, t]) => sum + Math.max(0, Math.min(t, tEnd) - Math.max(f, tStorm)), 0);
  const storm = report("during the analysis", stormRun, stormCheck, inAnalysis);
  storm.cost = stormCost.text;
  log(`storm during the analysis: ${stormCost.text} (the analysis's own included)`);
  // With --only storm and no baseline nothing follows that needs the analysis: its figures are the run's so far.
  const noWait = ONLY === "storm" && STORM_BASELINE_SECONDS <= 0;
  const a2 = noWait ? await Promise.race([analysis2, sleep(0).then(() => null)]) : await analysis2;
  if (noWait) {
    analysis2.catch(() => undefined);
    keeper.catch(() => undefined);
  } else await keeper;
  const analysis2Peak = memoryOf(pid).hwm;
  log(
    `analysis during the storm: ${a2 ? `${a2.status}, ${a2.customers} customers in ${s1(a2.ms)} s` : "still running"}; ${extraRuns} more run(s) requested while the storm lasted; ` +
      `analysis running for ${((covered / (tEnd - tStorm)) * 100).toFixed(0)}% of the storm; app peak RSS ${analysis2Peak} MB`,
  );
  if (ONLY === "storm") await runBaseline();
  const stormLine =
    `webhook storm: ${storm.answered} of ${storm.due} at ${storm.rate.toFixed(0)}/s, p95 ${ms0(storm.duringAnalysis.p95)} ms while the analysis ran ` +
    `(${storm.duringAnalysis.n} deliveries; goal ≤ 100 ms), all p95 ${ms0(storm.all.p95)} ms, due→answered p95 ${ms0(storm.endToEnd.p95)} ms, ` +
    `${storm.notOk} non-2xx, ${storm.check.lost} lost, ${storm.check.wrongVersion + storm.check.wrongTotal} wrong orders, ${storm.check.wrongAggregates} wrong aggregates` +
    (baseline ? `; baseline (no analysis) p95 ${ms0(baseline.all.p95)} ms at ${baseline.rate.toFixed(0)}/s` : "");
  if (ONLY === "storm") {
    console.log("");
    log(`load at end: ${uptime()}`);
    console.log(
      `  shop: ${counts.c} customers, ${counts.o} orders; sync ${s1(syncWall)} s; analysis during the storm ${a2 ? `${s1(a2.ms)} s` : "unfinished"}`,
    );
    console.log(`  ${stormLine}`);
    if (baseline) console.log(`  baseline storm: ${baseline.cost}; during the analysis: ${storm.cost}`);
    console.log(
      `STORM: webhook p95 ${ms0(storm.duringAnalysis.p95)} ms during the analysis (p99 ${ms0(storm.duringAnalysis.p99)}, max ${ms0(storm.duringAnalysis.max)}); ` +
        `${storm.rate.toFixed(0)}/s; ${storm.notOk} non-2xx; ${storm.check.lost} lost; ${storm.check.wrongAggregates} wrong aggregates` +
        (baseline ? `; baseline p95 ${ms0(baseline.all.p95)} ms` : ""),
    );
    return;
  }

  // ---- launch ----
  const plan = await loaderData("/app/campaigns/new", "routes/app.campaigns.new");
  const launchKey = String(plan.launchKey ?? plan.preview?.launchKey ?? randomBytes(12).toString("hex"));
  const tLaunch = performance.now();
  const launchedAtMs = Date.now();
  const launchRes = await appFetch("/app/campaigns/new?_data=routes%2Fapp.campaigns.new", {
    method: "POST",
    form: { intent: "launch", launchKey, name: "Scale bench win-back" },
  });
  const launchBody = (await launchRes.json()) as { ok: boolean; campaignId?: string; error?: string };
  if (!launchBody.ok || !launchBody.campaignId) throw new Error(`launch: HTTP ${launchRes.status} ${JSON.stringify(launchBody)}`);
  const campaignId = launchBody.campaignId;
  log(
    `launch requested (campaign ${campaignId}, answered in ${ms0(performance.now() - tLaunch)} ms); waiting until every touch is scheduled`,
  );
  let camp: any;
  lastLog = 0;
  for (;;) {
    camp = (await q(`SELECT status, "launchSteps" AS steps, "launchError" AS error FROM "Campaign" WHERE id = $1`, [campaignId]))[0];
    if (camp.status !== "launching") break;
    if (camp.error && !String(camp.error).endsWith("(retrying)")) break;
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(
        `launch: steps done ${
          Object.keys(camp.steps ?? {})
            .filter((k) => camp.steps[k]?.doneAt)
            .join(", ") || "none"
        }${camp.error ? `; ${camp.error}` : ""}`,
      );
    }
    await sleep(200);
  }
  const launchWall = performance.now() - tLaunch;
  if (camp.status === "launching") throw new Error(`launch stopped: ${camp.error}`);
  const steps = camp.steps ?? {};
  const members = steps.members ?? {};
  const targets = Number(members.treated ?? 0) + Number(members.holdout ?? 0);
  const stepAt = (k: string) => (steps[k]?.doneAt ? Date.parse(steps[k].doneAt) : NaN);
  // The tag step is the emulator's bulk mutation (upload, run, result), Shopify's time, not the app's.
  const tagMs = stepAt("tags") - stepAt("members");
  const touches = (
    await q<{ n: number; queued: number }>(
      `SELECT count(*)::int AS n, count("jobId")::int AS queued FROM "CampaignTouch" WHERE "campaignId" = $1`,
      [campaignId],
    )
  )[0]!;
  log(
    `launch: ${camp.status}; ${targets} targets (${members.treated} treated, ${members.holdout} holdout, ${members.vip} VIP); ` +
      `${touches.n} touches, ${touches.queued} with their job; ${s1(launchWall)} s until every touch was scheduled, ` +
      `of which the tag step (bulk mutation in the emulator) ${s1(tagMs)} s → ${s1(launchWall - tagMs)} s without it`,
  );
  log(
    `launch steps (from the request): ${["members", "tags", "segment", "discount", "outreach", "touches"].map((k) => `${k} ${s1(stepAt(k) - launchedAtMs)} s`).join(", ")}`,
  );

  // ---- Day-0 emails ----
  const sentBefore = sink.arrivals.length;
  const tEmails = performance.now();
  lastLog = performance.now();
  while (performance.now() - tEmails < EMAIL_SECONDS * 1000) {
    await sleep(1000);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`emails: ${sink.arrivals.length - sentBefore} received by the sink`);
    }
  }
  const window = sink.arrivals.filter((t) => t >= tLaunch);
  const emailsPerSec = window.length > 1 ? ((window.length - 1) * 1000) / (window.at(-1)! - window[0]!) : 0;
  const day0 = (
    await q<{ n: number }>(`SELECT count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1 AND day = 0`, [campaignId])
  )[0]!.n;
  log(
    `emails: ${window.length} Day-0 emails received in the first ${EMAIL_SECONDS} s after scheduling (of ${day0} Day-0 touches): ${emailsPerSec.toFixed(0)}/s from first to last`,
  );
  // The merchant pauses the campaign so the pages below are measured without the send running.
  const pause = await appFetch(`/app/campaigns/${campaignId}?_data=${encodeURIComponent("routes/app.campaigns.$id")}`, {
    method: "POST",
    form: { intent: "pause" },
  });
  log(`campaign paused (HTTP ${pause.status}); waiting 5 s for running touch jobs to drain`);
  await sleep(5000);

  // ---- outreach tasks up to OUTREACH_TASKS ----
  const have = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM "OutreachTask" WHERE shop = $1`, [SHOP]))[0]!.n;
  if (have < OUTREACH_TASKS) {
    // Copies of one of the launch's own tasks for other customers of the same campaign.
    const added = await db.query(
      `INSERT INTO "OutreachTask" (id, shop, "campaignId", "customerId", "launchAt", "conciergeName", "conciergeRole", owner, "followUpDays", "graceDays",
         "perkKind", "perkText", "perkDetails", script, status, "dueAt", "followUpAt", "updatedAt")
       SELECT 'scale-' || c.id, t.shop, t."campaignId", c.id, t."launchAt", t."conciergeName", t."conciergeRole", t.owner, t."followUpDays", t."graceDays",
         t."perkKind", t."perkText", t."perkDetails", t.script, t.status, t."dueAt" + (c.id % 14) * interval '1 day', t."followUpAt", now()
       FROM (SELECT * FROM "OutreachTask" WHERE shop = $1 AND "campaignId" = $2 LIMIT 1) t
       CROSS JOIN LATERAL (SELECT id FROM "Customer" c WHERE c.shop = $1 AND NOT EXISTS
         (SELECT 1 FROM "OutreachTask" o WHERE o.shop = $1 AND o."campaignId" = $2 AND o."customerId" = c.id) LIMIT $3) c`,
      [SHOP, campaignId, OUTREACH_TASKS - have],
    );
    log(`outreach: ${have} tasks from the launch, ${added.rowCount} added (copies of one of them for other customers)`);
  }
  const taskCount = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM "OutreachTask" WHERE shop = $1`, [SHOP]))[0]!.n;
  await db.query(`ANALYZE "OutreachTask"`);

  // ---- pages ----
  const pageStats: Array<{ name: string; s: Summary }> = [];
  const measure = async (name: string, p: string, routeId: string | null, runs = PAGE_RUNS) => {
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      const sep = p.includes("?") ? "&" : "?";
      const t = performance.now();
      const res = await appFetch(routeId ? `${p}${sep}_data=${encodeURIComponent(routeId)}` : p);
      const body = Buffer.from(await res.arrayBuffer()); // time to last byte
      samples.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`${name} (${p}): HTTP ${res.status}: ${body.toString("utf8", 0, 300)}`);
      bytes = body.length;
    }
    const s = summarize(samples);
    pageStats.push({ name, s });
    log(`page ${name.padEnd(44)} p50 ${ms0(s.p50).padStart(5)} ms  p95 ${ms0(s.p95).padStart(5)} ms  (${(bytes / 1024).toFixed(0)} KB)`);
  };
  log(`pages: loader data requests (?_data=<route>, as Remix fetches on client navigation), ${PAGE_RUNS} each, time to last byte`);
  await measure("dashboard /app", "/app", "routes/app._index");
  const segFilters: Array<[string, string]> = [
    ["", ""],
    ...(["active", "at_risk", "high_risk", "lost"].map((v) => ["class", v]) as Array<[string, string]>),
    ["branch", "VIP"],
    ["branch", "Standard"],
    ["vip", "yes"],
    ["vip", "no"],
    ["overdue", "yes"],
    ["overdue", "no"],
    ["target", "yes"],
    ["target", "no"],
  ];
  const variants: Array<{ filter: [string, string]; sort: SortKey; dir: "asc" | "desc" }> = [
    ...segFilters.map((f) => ({ filter: f, sort: "churnRisk" as SortKey, dir: "desc" as const })),
    ...(Object.keys(SORTS) as SortKey[])
      .filter((k) => k !== "churnRisk")
      .map((k) => ({ filter: ["", ""] as [string, string], sort: k, dir: "desc" as const })),
    { filter: ["", ""], sort: "totalSpent", dir: "asc" },
  ];
  for (const v of variants) {
    const params = new URLSearchParams();
    if (v.filter[0]) params.set(v.filter[0], v.filter[1]);
    params.set("sort", v.sort);
    params.set("dir", v.dir);
    const label = `${v.filter[0] ? `${v.filter[0]}=${v.filter[1]}` : "all"} by ${v.sort} ${v.dir}`;
    await measure(`segments ${label} p1`, `/app/segments?${params}`, "routes/app.segments");
    const deep = await deepCursor(q, SHOP, v.filter, v.sort, v.dir);
    if (deep) {
      params.set("after", deep.cursor);
      await measure(`segments ${label} row ${deep.offset}`, `/app/segments?${params}`, "routes/app.segments");
    }
  }
  for (const [label, query] of [
    ["all", ""],
    ["target=yes", "target=yes"],
  ] as const)
    await measure(`segments CSV export ${label}`, `/app/segments/export?${query}`, null, EXPORT_RUNS);
  await measure("campaigns list", "/app/campaigns", "routes/app.campaigns._index");
  await measure("campaign plan preview", "/app/campaigns/new", "routes/app.campaigns.new");
  await measure("launched campaign", `/app/campaigns/${campaignId}`, "routes/app.campaigns.$id");
  await measure(`outreach queue (${taskCount} tasks)`, "/app/outreach", "routes/app.outreach");
  await measure("outreach queue page 50", "/app/outreach?page=50", "routes/app.outreach");
  await measure("outreach search (name)", "/app/outreach?q=smith", "routes/app.outreach");
  await measure("outreach search (id digits)", `/app/outreach?q=${stormCustomers[0]!.slice(-6)}`, "routes/app.outreach");
  await measure("points", "/app/points", "routes/app.points");

  // ---- summary ----
  const pages = pageStats.filter((p) => !p.name.startsWith("segments CSV"));
  const worst = pages.reduce((a, b) => (b.s.p95 > a.s.p95 ? b : a));
  const exports = pageStats.filter((p) => p.name.startsWith("segments CSV"));
  console.log("");
  log(`load at end: ${uptime()}`);
  console.log("figures (the machine is shared and noisy: compare with the load averages above)");
  console.log(
    `  shop: ${counts.c} customers, ${counts.o} orders; sync (install → completed) ${s1(syncWall)} s, app peak RSS ${syncPeak} MB`,
  );
  console.log(`  analysis: ${s1(analysis!.ms)} s, peak RSS ${analysisPeak} MB (goal ≤ 15 s, ≤ 700 MB)`);
  console.log(`  analysis during the storm: ${a2 ? s1(a2.ms) : "?"} s, peak RSS ${analysis2Peak} MB`);
  console.log(`  ${stormLine}`);
  console.log(`  pages: worst p95 ${ms0(worst.s.p95)} ms (${worst.name}) (goal ≤ 300 ms)`);
  for (const e of exports) console.log(`  ${e.name}: p50 ${s1(e.s.p50)} s to last byte`);
  console.log(
    `  launch: ${targets} targets fully scheduled in ${s1(launchWall)} s (tag bulk mutation ${s1(tagMs)} s of it) (goal ≥ 400k in ≤ 120 s)`,
  );
  console.log(`  emails: ${emailsPerSec.toFixed(0)}/s (goal ≥ 300/s)`);
  console.log(
    `SCALE: analysis ${s1(analysis!.ms)} s ${analysisPeak} MB; page p95 max ${ms0(worst.s.p95)} ms (${worst.name.split(" ")[0]}); launch ${targets} targets in ${(launchWall / 1000).toFixed(0)} s; emails ${emailsPerSec.toFixed(0)}/s; webhook p95 ${ms0(storm.duringAnalysis.p95)} ms`,
  );
}

interface StormReport {
  due: number;
  answered: number;
  rate: number;
  notOk: number;
  all: ReturnType<typeof latencyFigures>;
  duringAnalysis: ReturnType<typeof latencyFigures>;
  endToEnd: ReturnType<typeof latencyFigures>;
  check: StormCheck;
  cost?: string;
}

/** Logs a storm's figures and its check; `inAnalysis` selects the deliveries sent while an analysis ran. */
function report(label: string, r: StormResult, check: StormCheck, inAnalysis: (i: number) => boolean): StormReport {
  const f = (x: ReturnType<typeof latencyFigures>) =>
    `p50 ${ms0(x.p50)} ms, p95 ${ms0(x.p95)} ms, p99 ${ms0(x.p99)} ms, max ${ms0(x.max)} ms`;
  const notOk = [...r.failures.values()].reduce((a, b) => a + b, 0);
  const rep: StormReport = {
    due: r.due,
    answered: r.answered,
    rate: r.answered / r.seconds,
    notOk,
    all: latencyFigures(r.latency, undefined, r.status),
    duringAnalysis: latencyFigures(r.latency, inAnalysis, r.status),
    endToEnd: latencyFigures(r.endToEnd, undefined, r.status),
    check,
  };
  log(
    `storm ${label}: ${r.answered}/${r.due} answered in ${r.seconds.toFixed(1)} s (${rep.rate.toFixed(0)}/s)` +
      `${r.unsent ? `, ${r.unsent} never sent (the app was over ${STORM_MAX_LAG} s behind)` : ""}; ` +
      Object.entries(r.kinds)
        .map(([k, n]) => `${n} ${k}`)
        .join(", "),
  );
  log(`storm ${label}: request → answer ${f(rep.all)}; due → answer ${f(rep.endToEnd)}`);
  if (rep.duringAnalysis.n) log(`storm ${label}: the ${rep.duringAnalysis.n} sent while an analysis ran: ${f(rep.duringAnalysis)}`);
  log(
    `storm ${label}: ${notOk} non-2xx${notOk ? ` ${JSON.stringify([...r.failures])} ${r.failureSamples.join(" | ")}` : ""}; ` +
      `${check.acknowledged} acknowledged orders: ${check.lost} lost, ${check.wrongVersion} not at their newest version, ${check.wrongTotal} wrong totals` +
      `${check.unsettled ? ` (${check.unsettled} whose newest version was not acknowledged, not judged)` : ""}${check.samples.length ? ` [${check.samples.join("; ")}]` : ""}; ` +
      `aggregates right afterwards: ${check.wrongAggregates} of ${check.customersChecked} customers differ from a from-scratch computation${check.aggregateSamples.length ? ` [${check.aggregateSamples.join("; ")}]` : ""}`,
  );
  return rep;
}

/** Waits for the first analysis run newer than `after` (a run id, or null: any) to finish. */
async function waitAnalysis(
  q: <T = any>(text: string, params?: unknown[]) => Promise<T[]>,
  shop: string,
  after: string | null,
  log: (l: string) => void,
  pid: number,
): Promise<{ status: string; customers: number; ms: number }> {
  let lastLog = performance.now();
  const started = performance.now();
  for (;;) {
    const run = (
      await q(
        `SELECT id, status, customers, error, extract(epoch FROM (coalesce("finishedAt", now() AT TIME ZONE 'UTC') - "startedAt"))::float8 AS secs
         FROM "AnalysisRun" WHERE shop = $1 AND ($2::text IS NULL OR "startedAt" > (SELECT "startedAt" FROM "AnalysisRun" WHERE id = $2))
         ORDER BY "startedAt" ASC LIMIT 1`,
        [shop, after],
      )
    )[0];
    if (run && run.status !== "running") {
      if (run.status !== "completed") throw new Error(`analysis ${run.status}: ${run.error}`);
      return { status: run.status, customers: run.customers, ms: run.secs * 1000 };
    }
    if (performance.now() - started > 20 * 60_000) throw new Error("the analysis did not finish within 20 minutes");
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`analysis: ${run ? `running for ${Number(run.secs).toFixed(0)} s` : "queued"}; app RSS ${memoryOf(pid).rss} MB`);
    }
    await sleep(200);
  }
}

/** The analysis settings form as the settings page posts it (app/routes/app.settings._index.tsx toValues). */
function analysisSettingsForm(v: any, o: { includeLost: boolean }): Record<string, string> {
  const s = v.settings;
  return {
    "lapse.atRiskDays": String(s.lapse.atRiskDays),
    "lapse.highRiskDays": String(s.lapse.highRiskDays),
    "lapse.lostDays": String(s.lapse.lostDays),
    "overdue.minPurchaseDays": String(s.overdue.minPurchaseDays),
    "overdue.gapMultiplier": String(s.overdue.gapMultiplier),
    "vip.mode": s.vip.fixedThreshold === null ? "percentile" : "fixed",
    "vip.percentile": String(Math.round(s.vip.percentile * 1000) / 10),
    "vip.fixedThreshold": s.vip.fixedThreshold === null ? "" : String(s.vip.fixedThreshold),
    "targets.includeLost": o.includeLost ? "on" : "",
    "prediction.horizonDays": String(s.prediction.horizonDays),
    "prediction.valueHorizonDays": String(s.prediction.valueHorizonDays),
    "prediction.minCustomers": String(s.prediction.minCustomers),
    "prediction.minRepeatCustomers": String(s.prediction.minRepeatCustomers),
    "norm.lookbackDays": String(s.norm.lookbackDays),
    "norm.windowDays": String(s.norm.windowDays),
    timeUnit: v.timeUnit,
  };
}

/**
 * A cursor half way down the filtered, sorted list: the segment explorer pages by keyset (the
 * cursor is the last row's sort value and id), so a deep page is a page after such a cursor; the
 * merchant would reach it by paging, the bench jumps there.
 */
async function deepCursor(
  q: <T = any>(text: string, params?: unknown[]) => Promise<T[]>,
  shop: string,
  filter: [string, string],
  sort: SortKey,
  dir: "asc" | "desc",
): Promise<{ cursor: string; offset: number } | null> {
  const col: Record<string, string> = { class: `"lapseClass"`, branch: "branch", vip: "vip", overdue: "overdue", target: "target" };
  const params: unknown[] = [shop];
  let where = "cs.shop = $1";
  if (filter[0]) {
    params.push(["vip", "overdue", "target"].includes(filter[0]) ? filter[1] === "yes" : filter[1]);
    where += ` AND cs.${col[filter[0]]} = $2`;
  }
  const n = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM "CustomerScore" cs WHERE ${where}`, params))[0]!.n;
  if (n < 200) return null;
  const offset = Math.floor(n / 2);
  const expr = SORTS[sort].expr;
  const row = (
    await q<{ v: number; id: string }>(
      `SELECT (${expr})::float8 AS v, cs."customerId"::text AS id FROM "CustomerScore" cs WHERE ${where}
       ORDER BY ${expr} ${dir}, cs."customerId" ${dir} OFFSET ${offset} LIMIT 1`,
      params,
    )
  )[0];
  return row ? { cursor: encodeCursor({ v: Number(row.v), id: row.id }), offset } : null;
}

try {
  await main();
} catch (e) {
  log(`FAILED: ${(e as Error).stack ?? e}`);
  if (appLogs.length) console.log(`last lines of the app's log:\n${appLogs.join("").split("\n").slice(-40).join("\n")}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
