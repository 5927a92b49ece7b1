// What a reacting step costs the batched send (ADR 101):
//   TEST_DATABASE_URL=postgres://… npx tsx bench/branching.ts [--customers 20000] [--campaigns 20] [--chunks 400]
// Seeds, in a throwaway PostgreSQL database, `customers` customers of one shop and EmailEngagement
// rows as `campaigns` past campaigns leave them (every customer opened each campaign's emails, one
// in four clicked, one click in five by a scanner). Then, for `chunks` random chunks of
// TOUCH_SEND_CHUNK customers, times the one extra read a reacting step adds to a chunk
// (firstHumanClicks: this campaign's human clicks) against a read every chunk already does
// (customersByIds: the chunk's contacts), in the same run. Prints ms per chunk and the ratio.
import { randomBytes } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { TOUCH_SEND_CHUNK } from "../app/campaigns/touch";
import { openDatabase } from "../app/db/open";
import { firstHumanClicks } from "../app/messaging/store";
import { customersByIds } from "../app/sync/store/customers";

const { values } = parseArgs({
  options: {
    customers: { type: "string", default: "20000" },
    campaigns: { type: "string", default: "20" },
    chunks: { type: "string", default: "400" },
  },
});
const customers = Number(values.customers);
const campaigns = Number(values.campaigns);
const chunks = Number(values.chunks);
if (!(customers >= TOUCH_SEND_CHUNK) || !(campaigns > 0) || !(chunks > 0))
  throw new Error(`--customers must be at least ${TOUCH_SEND_CHUNK}, --campaigns and --chunks positive`);
const base = process.env.TEST_DATABASE_URL;
if (!base) throw new Error("Set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (the bench creates and drops its own database)");
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

const name = `winback_bench_branch_${randomBytes(4).toString("hex")}`;
const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(base);
url.pathname = `/${name}`;
const db = openDatabase({ url: url.toString() });
try {
  await db.ready();
  const shop = "bench-branch.myshopify.com";
  const first = 7_100_000_000_000;
  await db.sql.query(
    `INSERT INTO "Customer" (shop, id, email, "emailConsent")
     SELECT $1, $2::bigint + g, 'b' || g || '@example.com', 'SUBSCRIBED' FROM generate_series(1, $3::int) g`,
    [shop, first, customers],
  );
  await db.sql.query(
    `INSERT INTO "EmailEngagement" (id, shop, "messageLogId", "customerId", "campaignId", kind, machine, "userAgentClass", at)
     SELECT 'e' || c || '-' || g || '-' || k, $1, 'm' || c || '-' || g, $2::bigint + g, 'cmp-' || c, k, k = 'click' AND g % 5 = 0,
            CASE WHEN k = 'click' AND g % 5 = 0 THEN 'bot' ELSE 'browser' END, now() - make_interval(days => c)
       FROM generate_series(1, $3::int) c, generate_series(1, $4::int) g, unnest(ARRAY['open', 'click']) k
      WHERE k = 'open' OR g % 4 = 0`,
    [shop, first, campaigns, customers],
  );
  await db.sql.query(`ANALYZE "EmailEngagement"`);
  await db.sql.query(`ANALYZE "Customer"`);
  const [{ n }] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "EmailEngagement"`);
  console.log(`${customers} customers, ${n} engagement rows over ${campaigns} campaigns; load ${load()}`);

  const chunkIds = Array.from({ length: chunks }, () =>
    Array.from({ length: TOUCH_SEND_CHUNK }, () => String(first + 1 + Math.floor(Math.random() * customers))),
  );
  const time = async (f: (ids: string[]) => Promise<unknown>) => {
    const t0 = performance.now();
    for (const ids of chunkIds) await f(ids);
    return (performance.now() - t0) / chunks;
  };
  // Warm-up, not counted: plans, caches, connections.
  await time((ids) => firstHumanClicks(db.sql, shop, "cmp-1", ids));
  await time((ids) => customersByIds(db.sql, shop, ids));
  const contacts = await time((ids) => customersByIds(db.sql, shop, ids));
  const clicks = await time((ids) => firstHumanClicks(db.sql, shop, "cmp-1", ids));
  const found = await firstHumanClicks(db.sql, shop, "cmp-1", chunkIds[0]!);
  console.log(`customersByIds (baseline)  ${contacts.toFixed(3)} ms per chunk of ${TOUCH_SEND_CHUNK}`);
  console.log(`firstHumanClicks           ${clicks.toFixed(3)} ms per chunk (${found.size} of the first chunk clicked)`);
  console.log(`RATIO: click read / contact read = ${(clicks / contacts).toFixed(2)}x; load ${load()}`);
} finally {
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
