/**
 * What row-level security costs a page query (docs/decisions/089-row-level-security.md):
 *   npx tsx bench/rls.ts [shops=20] [customersPerShop=5000] [rounds=400]
 * On PostgreSQL when TEST_DATABASE_URL is set (a throwaway database next to it, dropped at the end),
 * else on in-memory PGlite.
 *
 * Seeds `shops` shops of `customersPerShop` scored customers, then runs the Segments page's two
 * queries (app/analysis/store.ts scorePage: first page by churn risk, 50 rows; countScores) for one
 * shop, interleaved so that the machine's noise falls on each variant alike:
 *   - unscoped: the system Sql, one statement (the baseline);
 *   - unscoped, a transaction each: BEGIN, the statement, COMMIT: the round trips a scoped statement
 *     adds, without the role switch or the policy;
 *   - scoped: withShop(sql, shop): BEGIN + SET LOCAL ROLE + set_config, the statement, COMMIT;
 *   - unscoped / scoped, 5 pages in one transaction: the setup paid once for 10 statements, so the
 *     ratio of the two is the role switch and the policy predicate alone.
 * Prints median and p95 per query (ms) and each variant's median ratio to the baseline. Last line:
 * `RLS: scoped/unscoped <ratio>x (<engine>)`. runRlsBench is exported for bench/scale.ts.
 */
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openDatabase, type Database } from "../app/db/open";
import { withShop, type Sql } from "../app/db/sql";
import { countScores, scorePage } from "../app/analysis/store";

export interface RlsFigures {
  engine: "pglite" | "postgres";
  shops: number;
  customersPerShop: number;
  rounds: number;
  /** Per variant: median and p95 of one query's latency in ms, and the median's ratio to unscoped. */
  variants: Record<string, { medianMs: number; p95Ms: number; ratio: number }>;
}

const PAGE = { filters: {}, sort: { expr: `cs."churnRisk"`, type: "float8" }, asc: false, limit: 50 };

/** The Segments page for one shop: its first page of scores and the count. */
async function pageQuery(sql: Sql, shop: string) {
  await scorePage(sql, shop, PAGE);
  await countScores(sql, shop, {});
}

async function seed(sql: Sql, shops: string[], perShop: number) {
  for (const shop of shops) {
    await sql.query(
      `INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, branch, orders, "purchaseDays",
         "totalSpent", aov, "firstOrderAt", "lastOrderAt", "daysSinceLast", "churnRisk")
       SELECT $1, g, 'bench', (ARRAY['active','at_risk','lapsed'])[1 + g % 3], g % 2 = 0, g % 10 = 0, g % 3 = 0, 'Standard', 1 + g % 7, 1 + g % 5,
              100 + g % 900, 50, now() - interval '400 days', now() - (g % 300) * interval '1 day', g % 300, ((g * 7919) % 1000) / 1000.0
         FROM generate_series(1, $2::int) g`,
      [shop, perShop],
    );
  }
  await sql.exec(`ANALYZE "CustomerScore"`);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

export async function runRlsBench(
  db: Database,
  opts: { shops?: number; customersPerShop?: number; rounds?: number } = {},
): Promise<RlsFigures> {
  const shops = Array.from({ length: opts.shops ?? 20 }, (_, i) => `rls-bench-${i}.myshopify.com`);
  const perShop = opts.customersPerShop ?? 5000;
  const rounds = opts.rounds ?? 400;
  const sql = db.sql;
  await seed(sql, shops, perShop);
  const shop = shops[Math.floor(shops.length / 2)]!;
  const scoped = withShop(sql, shop);

  // Each statement in a transaction of its own, as a scoped Sql runs a lone query, without the scope.
  const ownTransactions: Sql = { ...sql, query: (text, params) => sql.transaction((tx) => tx.query(text, params)) };
  const fiveIn = (s: Sql) =>
    s.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await pageQuery(tx, shop);
    });
  const variants: Record<string, () => Promise<void>> = {
    unscoped: () => pageQuery(sql, shop),
    "unscoped, a transaction each": () => pageQuery(ownTransactions, shop),
    scoped: () => pageQuery(scoped, shop),
    "unscoped, 5 pages in one tx": () => fiveIn(sql),
    "scoped, 5 pages in one tx": () => fiveIn(scoped),
  };
  // Statements per call of each variant (pageQuery is two).
  const perCall = (name: string) => (name.includes("5 pages") ? 10 : 2);
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  // Warm-up: plans cached, pages in shared buffers, pool connections open.
  for (let i = 0; i < 20; i++) for (const run of Object.values(variants)) await run();
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(variants)) {
      const t0 = process.hrtime.bigint();
      await run();
      times[name]!.push(Number(process.hrtime.bigint() - t0) / 1e6 / perCall(name));
    }
  }
  const base = quantile(times.unscoped!, 0.5);
  return {
    engine: sql.engine,
    shops: shops.length,
    customersPerShop: perShop,
    rounds,
    variants: Object.fromEntries(
      Object.entries(times).map(([name, xs]) => {
        const medianMs = quantile(xs, 0.5);
        return [name, { medianMs, p95Ms: quantile(xs, 0.95), ratio: medianMs / base }];
      }),
    ),
  };
}

export function printRlsFigures(f: RlsFigures) {
  console.log(
    `${f.engine}: ${f.shops} shops × ${f.customersPerShop} scored customers, ${f.rounds} rounds, Segments page queries (scorePage + countScores)`,
  );
  for (const [name, v] of Object.entries(f.variants)) {
    console.log(
      `  ${name.padEnd(30)} median ${v.medianMs.toFixed(3)} ms/query  p95 ${v.p95Ms.toFixed(3)} ms  ratio ${v.ratio.toFixed(2)}x`,
    );
  }
  const v = f.variants;
  const inTx = v["scoped, 5 pages in one tx"]!.medianMs / v["unscoped, 5 pages in one tx"]!.medianMs;
  console.log(`  scoped / unscoped inside one transaction (role switch + policy alone): ${inTx.toFixed(2)}x`);
  console.log(`RLS: scoped/unscoped ${v.scoped!.ratio.toFixed(2)}x (${f.engine})`);
}

async function main() {
  const [shops, perShop, rounds] = process.argv.slice(2).map(Number);
  const url = process.env.TEST_DATABASE_URL;
  let db: Database;
  let drop = async () => {};
  if (url) {
    const name = `winback_bench_rls_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${name}`;
    db = openDatabase({ url: u.toString() });
    drop = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  } else {
    db = openDatabase({});
  }
  try {
    await db.ready();
    printRlsFigures(
      await runRlsBench(db, { shops: shops || undefined, customersPerShop: perShop || undefined, rounds: rounds || undefined }),
    );
  } finally {
    await db.close();
    await drop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
