// The demo's offer experiment (ADR 109): how often the campaign page's rule names each arm after one
// simulated month on the demo's default shop, with the emulator's offer response and no test hook.
// 1. The app (production build, PostgreSQL) syncs and analyses the demo shop: its Standard targets.
// 2. On a fresh emulator copy of the shop, those targets are split like a launch (10% holdout, the rest
//    over the arms by a hash), tagged, and given one segment-limited code per arm (perk: tag only),
//    then `simulateShoppers` runs 30 days per seed and `measureExperiment` judges the arms.
// Run: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/experiment-demo.ts
//   SEEDS=200 ASSIGN=7 ARMS='[{"p":0.1},{"p":0.25},{"fs":true}]' (p: percentage 0–1, amount, fs, perk)
import pg from "pg";
import { execFileSync } from "node:child_process";
import { DEMO_DEFAULTS } from "../scripts/demo-defaults";
import { measureExperiment, parseExperiment, type ArmKey } from "../app/domain/campaigns/experiment";
import { startEmulator } from "../test/shopify-emulator";
import { FakeClock, gql } from "../test/shopify-emulator/helpers";
import { hash32 } from "../test/shopify-emulator/prng";
import { buildApp, freePort, startAppServer } from "../test/support/app-server";
import { emulatorAppEnv } from "../test/support/embedded";

type Arm = { p?: number; amount?: number; fs?: boolean; perk?: boolean };
const ARMS: Arm[] = JSON.parse(process.env.ARMS ?? '[{"p":0.1},{"p":0.25},{"fs":true}]');
const SEEDS = Number(process.env.SEEDS ?? 200);
const ASSIGN = Number(process.env.ASSIGN ?? 7);
const base = process.env.TEST_DATABASE_URL;
if (!base) throw new Error("TEST_DATABASE_URL (a PostgreSQL server URL) is required");
const DB = "winback_experiment_demo_bench";
const dbUrl = Object.assign(new URL(base), { pathname: `/${DB}` }).toString();
const { shop: SHOP, seed, customers, years } = DEMO_DEFAULTS;
const creds = { apiKey: "winback-demo-key", apiSecret: "winback-demo-secret" };

async function standardTargets(): Promise<string[]> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  buildApp();
  const appEnv = { SHOPIFY_API_KEY: creds.apiKey, SHOPIFY_API_SECRET: creds.apiSecret, SHOPIFY_APP_URL: "http://localhost" };
  execFileSync("npx", ["tsx", "scripts/migrate.ts"], { env: { ...process.env, ...appEnv, DATABASE_URL: dbUrl }, stdio: "inherit" });
  const port = await freePort();
  const appUrl = `http://localhost:${port}`;
  const emu = await startEmulator({ ...creds, appUrl });
  await emu.addShop(SHOP, { seed, customers, years });
  const app = await startAppServer({
    port,
    env: { ...emulatorAppEnv(emu, { ...creds, appUrl }), DATABASE_URL: dbUrl, JOB_POLL_MS: "100" },
  });
  const db = new pg.Client({ connectionString: dbUrl });
  try {
    const host = Buffer.from(`admin.shopify.com/store/${SHOP.replace(".myshopify.com", "")}`).toString("base64url");
    const r = await fetch(`${appUrl}/app?embedded=1&shop=${SHOP}&host=${host}&id_token=${emu.mintSessionToken(SHOP)}`, {
      headers: { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36" },
    });
    if (r.status !== 200) throw new Error(`install: HTTP ${r.status}`);
    await db.connect();
    const started = Date.now();
    for (;;) {
      const rows = await db.query<{ id: string }>(
        `SELECT "customerId"::text AS id FROM "CustomerScore" WHERE target AND branch = 'Standard'`,
      );
      if (rows.rows.length) return rows.rows.map((x) => x.id);
      if (Date.now() - started > 600_000) throw new Error("the analysis never marked targets");
      await new Promise((res) => setTimeout(res, 2000));
    }
  } finally {
    await db.end().catch(() => {});
    await app.stop();
    await emu.stop();
  }
}

const targets = await standardTargets();
const clock = new FakeClock(Date.now());
const emu = await startEmulator({ ...creds, now: clock.now });
await emu.addShop(SHOP, { seed, customers, years });
const token = emu.issueAccessToken(SHOP);
const s = emu.shop(SHOP);
const holdout: number[] = [];
const arms: number[][] = ARMS.map(() => []);
const letter = (a: number) => "abcd"[a]!;
for (const id of targets) {
  const h = hash32(ASSIGN, Number(id) % 2_147_483_647) / 4_294_967_296;
  const c = s.customerIndexFromId(`gid://shopify/Customer/${id}`);
  if (h < 0.1) {
    holdout.push(c);
    continue;
  }
  const a = Math.min(ARMS.length - 1, Math.floor(((h - 0.1) / 0.9) * ARMS.length));
  arms[a]!.push(c);
  clock.advance(100); // the Standard plan's bucket refills 100 points/s
  await gql(
    emu,
    token,
    `mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { userErrors { message } } }`,
    {
      id: `gid://shopify/Customer/${id}`,
      tags: [`winback-bench-${letter(a)}`],
    },
    SHOP,
  );
}
for (let a = 0; a < ARMS.length; a++) {
  const spec = ARMS[a]!;
  if (spec.perk) continue;
  clock.advance(1000);
  const seg = await gql(
    emu,
    token,
    `mutation($name: String!, $query: String!) { segmentCreate(name: $name, query: $query) { segment { id } userErrors { message } } }`,
    { name: `Bench arm ${a}`, query: `customer_tags CONTAINS 'winback-bench-${letter(a)}'` },
    SHOP,
  );
  const common = {
    title: `Bench arm ${a}`,
    code: `BENCH-${letter(a).toUpperCase()}`,
    startsAt: new Date(clock.ms).toISOString(),
    endsAt: new Date(clock.ms + 14 * 86_400_000).toISOString(),
    appliesOncePerCustomer: true,
    context: { customerSegments: { add: [seg.body.data.segmentCreate.segment.id] } },
    combinesWith: { orderDiscounts: false, productDiscounts: false, shippingDiscounts: false },
  };
  const r = spec.fs
    ? await gql(
        emu,
        token,
        `mutation($input: DiscountCodeFreeShippingInput!) { discountCodeFreeShippingCreate(freeShippingCodeDiscount: $input) { userErrors { message } } }`,
        { input: { ...common, destination: { all: true } } },
        SHOP,
      )
    : await gql(
        emu,
        token,
        `mutation($input: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $input) { userErrors { message } } }`,
        {
          input: {
            ...common,
            customerGets: {
              value: spec.amount ? { discountAmount: { amount: spec.amount, appliesOnEachItem: false } } : { percentage: spec.p },
              items: { all: true },
            },
          },
        },
        SHOP,
      );
  const payload = Object.values(r.body.data ?? {})[0] as { userErrors: unknown[] } | undefined;
  if (r.body.errors || !payload || payload.userErrors.length) throw new Error(JSON.stringify(r.body));
}

const experiment = parseExperiment({
  arms: ARMS.map((a) => ({
    offer: a.perk
      ? { kind: "perk", text: "early access" }
      : a.fs
        ? { kind: "free_shipping" }
        : a.amount
          ? { kind: "fixed_amount", value: a.amount }
          : { kind: "percentage", value: Math.round(a.p! * 100) },
  })),
});
const named: Record<string, number> = {};
const rates: number[][] = ARMS.map(() => []);
const holdoutRates: number[] = [];
for (let sd = 1; sd <= SEEDS; sd++) {
  const sim = emu.simulateShoppers(SHOP, { days: 30, seed: sd, from: new Date(clock.ms) });
  const buyers = new Set(sim.orderIds.map((id) => s.orderView(s.orderIndexFromId(id))._customerIdx));
  const totals = (g: number[]) => ({ n: g.length, reactivated: g.filter((c) => buyers.has(c)).length, revenueSum: 0, revenueSumSq: 0 });
  const res = measureExperiment(
    experiment,
    arms.map((g, i) => ({ key: "ABCD"[i] as ArmKey, redemptions: 0, ...totals(g) })),
    totals(holdout),
  );
  named[res.best ?? "none"] = (named[res.best ?? "none"] ?? 0) + 1;
  arms.forEach((g, i) => rates[i]!.push(totals(g).reactivated / g.length));
  holdoutRates.push(totals(holdout).reactivated / holdout.length);
}
await emu.stop();
const mean = (a: number[]) => `${((100 * a.reduce((x, y) => x + y, 0)) / a.length).toFixed(1)}%`;
console.log(`arms ${JSON.stringify(ARMS)}; ${targets.length} Standard targets; assignment hash ${ASSIGN}; ${SEEDS} seeds`);
console.log(`members per arm ${arms.map((g) => g.length).join(" / ")}, holdout ${holdout.length}`);
console.log(`mean 30-day reactivation ${rates.map(mean).join(" / ")}, holdout ${mean(holdoutRates)}`);
console.log(`EXPERIMENT-DEMO named: ${JSON.stringify(named)}`);
