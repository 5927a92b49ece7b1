// The demo's server process memory (issue 14 item 4): npx tsx bench/demo-memory.ts [customers=3000]
// Starts the emulator with the demo shop (same generator and seed as `npm run demo`), serves the
// production build on the embedded default (PGlite under a temporary DATA_DIR), installs the app,
// lets the first sync and the analysis run, opens the dashboard as a merchant would, and samples the
// app process's resident memory (/proc/<pid>/status VmRSS, peak VmHWM) throughout.
// With TEST_DATABASE_URL=postgres://… it runs the same on PostgreSQL too, as the baseline: the
// ratio printed is the embedded default's settled RSS over PostgreSQL's, measured in the same run.
// Figures only; nothing is asserted.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { randomBytes } from "node:crypto";
import { buildApp, freePort, startAppServer } from "../test/support/app-server";
import { emulatorAppEnv } from "../test/support/embedded";
import { startEmulator } from "../test/shopify-emulator";

const CUSTOMERS = Number(process.argv[2] ?? 3000);
const SHOP = "winback-demo.myshopify.com";
const API_KEY = "winback-bench-key";
const API_SECRET = "winback-bench-secret";

function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb("VmRSS") / 1024), hwm: Math.round(kb("VmHWM") / 1024) };
}

async function run(label: string, dbEnv: Record<string, string>) {
  const appPort = await freePort();
  const appUrl = `http://localhost:${appPort}`;
  const emulator = await startEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, appUrl });
  await emulator.addShop(SHOP, { seed: 42, customers: CUSTOMERS, years: 4 });
  const app = await startAppServer({
    port: appPort,
    env: { ...emulatorAppEnv(emulator, { apiKey: API_KEY, apiSecret: API_SECRET, appUrl }), ...dbEnv },
  });
  const pid = app.process.pid!;
  const started = memory(pid);
  const host = Buffer.from(`admin.shopify.com/store/${SHOP.replace(".myshopify.com", "")}`).toString("base64url");
  const page = () =>
    fetch(`${appUrl}/app?embedded=1&shop=${SHOP}&host=${host}&id_token=${emulator.mintSessionToken(SHOP)}`, {
      headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) winback-bench" },
    });
  const t0 = Date.now();
  const install = await page();
  if (install.status !== 200) throw new Error(`install failed: HTTP ${install.status}\n${app.logs.join("")}`);
  let syncedAt = 0;
  let afterSync = 0;
  let last = memory(pid);
  let stableSince = Date.now();
  // Until the bulk query completed, then until RSS has not moved by more than 5 MB for 20 s (the
  // analysis and the features' after-sync work), at most 5 minutes.
  while (Date.now() - t0 < 300_000) {
    await new Promise((r) => setTimeout(r, 500));
    const m = memory(pid);
    if (Math.abs(m.rss - last.rss) > 5) stableSince = Date.now();
    last = m;
    if (!syncedAt) {
      const inspect = (await (await fetch(`${emulator.url}/__emulator/shops/${SHOP}`)).json()) as {
        bulkOperations: Array<{ status: string }>;
      };
      if (inspect.bulkOperations.some((o) => o.status === "COMPLETED")) {
        syncedAt = Date.now();
        afterSync = m.rss;
      }
    } else if (Date.now() - stableSince > 20_000) break;
  }
  for (let i = 0; i < 5; i++) await (await page()).text();
  const settled = memory(pid);
  await app.stop();
  await emulator.stop();
  const line = `${label.padEnd(10)} started ${started.rss} MB; bulk query done after ${((syncedAt - t0) / 1000).toFixed(1)} s at ${afterSync} MB; settled ${settled.rss} MB; peak ${settled.hwm} MB`;
  console.log(line);
  return settled;
}

buildApp();
console.log(`load: ${readFileSync("/proc/loadavg", "utf8").trim()} (timings are noisy when the first figure is above the core count)`);
const dataDir = mkdtempSync(path.join(tmpdir(), "winback-demo-mem-"));
const lite = await run("PGlite", { DATA_DIR: dataDir });
rmSync(dataDir, { recursive: true, force: true });
if (process.env.TEST_DATABASE_URL) {
  const name = `winback_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(process.env.TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  try {
    const base = await run("PostgreSQL", { DATABASE_URL: url.toString(), DATA_DIR: mkdtempSync(path.join(tmpdir(), "winback-demo-mem-")) });
    console.log(`embedded / PostgreSQL settled RSS: ${(lite.rss / base.rss).toFixed(2)}x`);
  } finally {
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();
  }
}
console.log(`DEMO MEMORY: PGlite settled ${lite.rss} MB, peak ${lite.hwm} MB`);
