// Campaign launch benchmark: TEST_DATABASE_URL=postgres://… npx tsx bench/launch.ts [targets=400000] [vipShare=0.1]
// (BENCH_KEEP_DB=1 keeps the database.) PostgreSQL only: a fresh database, the emulator holding a
// shop with that many customers, and that many scored lapsed customers seeded directly into the
// sync and analysis tables (seeding is not timed). Then one real launch through the job queue
// (pg-boss, as the app runs on PostgreSQL): a worker runs the launch job; the touch jobs it creates
// are counted, not run (sending is measured by the messaging bench). Prints the time of each launch
// step, where each step's time went (SQL statements and Shopify calls, summed by statement), the
// targets, touches and jobs created, the time until every touch is scheduled, the old
// one-job-per-touch scheduling measured on a sample in the same run (and the ratio), the campaign
// page loader (20 calls, p50/p95; reactivation orders are seeded after the launch) and the list
// loader on the launched campaign, and last:
//   LAUNCH: <targets> targets in <s> s without the emulator's bulk run (<jobs> jobs for <touches> touches)
// bench/scale.ts imports benchLaunch.
import { randomBytes } from "node:crypto";
import { pathToFileURL } from "node:url";
import pg from "pg";
import type { CampaignDeps } from "../app/campaigns/deps";
import { outreachPort } from "../app/campaigns/feature";
import { campaignJobDefinitions } from "../app/campaigns/jobs";
import { LAUNCH_QUEUE, requestLaunch, TOUCH_BATCH_QUEUE, TOUCH_QUEUE } from "../app/campaigns/launch";
import { loadCampaignList, loadCampaignPage } from "../app/campaigns/page.server";
import { getCampaign, setTouchJobs, touchStateCounts } from "../app/campaigns/store";
import { armTotalsFromOrders, armTotalsFromTotals } from "../app/campaigns/measure";
import { reconcileCampaignTotals, refreshMemberWindows, touchStateTotals, touchVariantTotals } from "../app/campaigns/store/totals";
import { touchVariantCounts } from "../app/campaigns/store/touch-batch";
import { applyOrderChanges, parseOrderWebhook } from "../app/sync/store/live";
import { openDatabase, type Database } from "../app/db/open";
import type { Sql } from "../app/db/sql";
import { isHoldout } from "../app/domain/campaigns";
import { PgBossJobQueue } from "../app/jobs/pgboss-queue";
import type { JobDefinition } from "../app/jobs/queue";
import { campaignMessageCounts } from "../app/messaging/feedback";
import { createFlowTriggers } from "../app/messaging/flow";
import { createMessenger } from "../app/messaging/messenger";
import { createAdminClient, type AdminClient } from "../app/shopify/graphql-client";
import { startEmulator } from "../test/shopify-emulator";
import { CUSTOMER_ID_BASE } from "../test/shopify-emulator/generator";

export interface LaunchBenchOptions {
  targets?: number;
  /** share of the targets in the VIP branch (the highest spenders) */
  vipShare?: number;
  /** touches scheduled the old way (one job each) for the baseline */
  baselineSample?: number;
  databaseUrl?: string;
  keepDb?: boolean;
  log?: (line: string) => void;
}

export interface LaunchBenchResult {
  targets: number;
  treated: number;
  vipTasks: number;
  touches: number;
  jobs: number;
  /** from the launch request until the last touch was scheduled, without the emulator's bulk mutation run */
  seconds: number;
  /** the same, including the emulator's bulk run */
  wallSeconds: number;
  /** seconds per launch step (tags: without the emulator's own bulk mutation run) */
  steps: Record<
    "snapshot" | "holdout" | "tags" | "bulkMutationInEmulator" | "segment" | "discount" | "vipTasks" | "touches" | "markLaunched",
    number
  >;
  baseline: { sample: number; msPerTouch: number; estimatedSeconds: number; ratio: number };
  loaders: { campaignPageMs: number; campaignPageP50Ms: number; campaignPageP95Ms: number; campaignListMs: number };
  /** ADR 105: the page's figures the old way (join + counts over members and touches) against the kept totals, same calls alternating */
  totals: {
    oldP50Ms: number;
    oldP95Ms: number;
    newP50Ms: number;
    newP95Ms: number;
    identical: boolean;
    reconcileMs: number;
    /** an order webhook batch of 200 edits of window orders, with and without the campaigns' onOrdersWritten, ms per order */
    webhookMsPerOrder: { withHook: number; without: number };
  };
}

/** One SQL statement, queue send or Shopify call the launch made, by label and start time. */
interface Timed {
  label: string;
  at: number;
  ms: number;
}

async function timed<T>(events: Timed[], label: string, fn: () => Promise<T>): Promise<T> {
  const at = performance.now();
  try {
    return await fn();
  } finally {
    events.push({ label, at, ms: performance.now() - at });
  }
}

/** The Sql with every statement timed (its first words are its label); transactions and shop scopes too. */
function profiledSql(sql: Sql, events: Timed[]): Sql {
  const label = (text: string) => text.replace(/\s+/g, " ").trim().slice(0, 100);
  return {
    engine: sql.engine,
    ...(sql.shop ? { shop: sql.shop } : {}),
    query: <T>(text: string, params?: unknown[]) => timed(events, label(text), () => sql.query<T>(text, params)),
    exec: (text) => timed(events, label(text), () => sql.exec(text)),
    copyFrom: (table, columns, rows) => timed(events, `COPY "${table}"`, () => sql.copyFrom(table, columns, rows)),
    transaction: (fn) => sql.transaction((tx) => fn(profiledSql(tx, events))),
    ...(sql.forShop ? { forShop: (shop: string) => profiledSql(sql.forShop!(shop), events) } : {}),
  };
}

/** Per step, the labels that took the most time (summed), and what all timed calls add up to. */
function stepProfile(events: Timed[], from: number, to: number, top = 5): string[] {
  const by = new Map<string, { ms: number; n: number }>();
  let total = 0;
  for (const e of events) {
    if (e.at < from || e.at >= to) continue;
    const x = by.get(e.label) ?? { ms: 0, n: 0 };
    x.ms += e.ms;
    x.n++;
    by.set(e.label, x);
    total += e.ms;
  }
  const lines = [...by.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([l, x]) => `      ${(x.ms / 1000).toFixed(2).padStart(7)} s ${String(x.n).padStart(6)}x  ${l}`);
  return [
    `      (timed calls ${(total / 1000).toFixed(2)} s of ${((to - from) / 1000).toFixed(2)} s; the rest is the app's own work)`,
    ...lines,
  ];
}

const percentile = (xs: number[], p: number) => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)]!;
};

const SHOP = "bench-launch.myshopify.com";
const s = (ms: number) => ms / 1000;

async function freshDatabase(base: string): Promise<{ url: string; name: string }> {
  const name = `winback_launch_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return { url: u.toString(), name };
}

async function dropDatabase(base: string, name: string) {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/**
 * Customers 1..n of the emulator's shop (its ids), lapsed, subscribed, scored as the analysis
 * would: the top `vip` spenders VIP, every one a target. Set-based SQL: not part of the figures.
 */
async function seed(db: Database, n: number, vip: number) {
  const sql = db.sql;
  await sql.query(
    `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", email, settings, "updatedAt") VALUES ($1, 'Bench Shop', 'EUR', 'Europe/Berlin', 'owner@shop.test', $2::jsonb, now())`,
    [SHOP, JSON.stringify({ messaging: { postalAddress: "Bench Shop\nHauptstraße 1\n10115 Berlin\nGermany" } })],
  );
  await sql.query(
    `INSERT INTO "Customer" (shop, id, email, "firstName", "emailConsent", "updatedAt", "orderCount", "totalSpent", "firstOrderAt", "lastOrderAt")
     SELECT $1, $2::bigint + g, 'c' || g || '@example.com', 'C' || g, 'SUBSCRIBED', now(), 1 + g % 7, 20 + (g::bigint * 7919) % 2000,
            now() - interval '700 days', now() - make_interval(days => 150 + g % 200)
     FROM generate_series(1, $3::int) g`,
    [SHOP, CUSTOMER_ID_BASE, n],
  );
  await sql.query(
    `INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, branch, orders, "purchaseDays", "totalSpent", aov,
                                  "firstOrderAt", "lastOrderAt", "daysSinceLast", "churnRisk")
     SELECT shop, id, 'bench', 'lapsed', true, rn <= $2, true, CASE WHEN rn <= $2 THEN 'VIP' ELSE 'Standard' END, "orderCount", "orderCount",
            "totalSpent"::float8, ("totalSpent" / greatest("orderCount", 1))::float8, "firstOrderAt", "lastOrderAt", 150, 0.8
     FROM (SELECT *, row_number() OVER (ORDER BY "totalSpent" DESC, id) AS rn FROM "Customer" WHERE shop = $1) c`,
    [SHOP, vip],
  );
  // One earlier order per customer (its last one), so the campaign page joins a real order table.
  await sql.query(
    `INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency)
     SELECT shop, id, id, "lastOrderAt", "lastOrderAt", now(), 40, 40, 'EUR' FROM "Customer" WHERE shop = $1`,
    [SHOP],
  );
  await sql.query(`ANALYZE "Customer"`);
  await sql.query(`ANALYZE "CustomerScore"`);
  await sql.query(`ANALYZE "Order"`);
}

/**
 * Orders in the campaign's window after the launch (not timed): about 12% of the treated and 8% of
 * the holdout come back within 30 days, one or two orders each, a third of the treated with the code.
 */
async function seedReactivations(sql: Sql, campaignId: string): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    `WITH back AS (
       SELECT m."customerId", m.holdout, c."launchAt", c."discountCode", k
       FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId" CROSS JOIN generate_series(1, 2) k
       WHERE m."campaignId" = $1 AND (m."customerId" * 7919) % 100 < CASE WHEN m.holdout THEN 8 ELSE 12 END AND (k = 1 OR m."customerId" % 3 = 0)
     ), ins AS (
       INSERT INTO "Order" (shop, id, "customerId", "processedAt", "createdAt", "updatedAt", "currentTotal", "totalPrice", currency, "discountCodes")
       SELECT $2, 9000000000000 + "customerId" * 2 + k, "customerId", "launchAt" + make_interval(days => (("customerId" % 29) + k)::int, hours => 3),
              now(), now(), 25 + "customerId" % 90, 25 + "customerId" % 90, 'EUR',
              CASE WHEN NOT holdout AND "customerId" % 3 = 0 THEN ARRAY["discountCode"] ELSE '{}'::text[] END
       FROM back RETURNING 1
     ) SELECT count(*)::int AS n FROM ins`,
    [campaignId, SHOP],
  );
  await sql.query(`ANALYZE "Order"`);
  return rows[0]!.n;
}

export async function benchLaunch(opts: LaunchBenchOptions = {}): Promise<LaunchBenchResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const n = opts.targets ?? 400_000;
  const vip = Math.round(n * (opts.vipShare ?? 0.1));
  const base = opts.databaseUrl ?? process.env.TEST_DATABASE_URL;
  if (!base) throw new Error("bench/launch.ts needs TEST_DATABASE_URL (PostgreSQL)");

  let t = performance.now();
  const emu = await startEmulator({ apiKey: "k", apiSecret: "s", bulkTiming: { startDelayMs: 0, rootsPerTick: 5000, tickDelayMs: 0 } });
  await emu.addShop(SHOP, { seed: 3, customers: n, years: 1 });
  const token = emu.issueAccessToken(SHOP);
  const { url, name } = await freshDatabase(base);
  const db = openDatabase({ url });
  await db.ready();
  await seed(db, n, vip);
  log(
    `seeded: emulator shop and ${n} scored lapsed customers (${vip} VIP) in database ${name} (${s(performance.now() - t).toFixed(1)} s, not timed)`,
  );

  // The emulator's bulk mutation run: from the answer to bulkOperationRunMutation to the first poll that sees it done.
  const bulk = { startedAt: 0, doneAt: 0 };
  const events: Timed[] = [];
  const client = async (shop: string): Promise<AdminClient> => {
    const c = createAdminClient({ shop, accessToken: token, urlTemplate: `${emu.url}/{shop}` });
    return {
      shop,
      async request(query, variables) {
        const op = /\b(query|mutation)\s+(\w+)/.exec(query);
        const r = await timed(events, `Shopify ${op ? `${op[1]} ${op[2]}` : query.replace(/\s+/g, " ").trim().slice(0, 60)}`, () =>
          c.request(query, variables),
        );
        if (query.includes("bulkOperationRunMutation")) bulk.startedAt = performance.now();
        else if (bulk.startedAt && !bulk.doneAt && /"status":"(COMPLETED|FAILED|CANCELED)"/.test(JSON.stringify(r)))
          bulk.doneAt = performance.now();
        return r;
      },
    };
  };
  const vipTasks = { ms: 0, n: 0 };
  const deps: CampaignDeps = {
    sql: profiledSql(db.sql, events),
    client,
    // Staged upload and result download, timed like the API calls.
    fetch: (input, init) =>
      timed(
        events,
        `fetch ${init?.method ?? "GET"} ${new URL(String(input instanceof Request ? input.url : input)).pathname.slice(0, 40)}`,
        () => fetch(input, init),
      ),
    queue: { send: async () => null }, // replaced below by the queue itself
    messenger: createMessenger({
      sql: db.sql,
      transport: { sendMail: async () => ({ messageId: "<bench@test>" }) } as never,
      appUrl: "https://winback.test",
      secret: "bench",
      from: "Winback <winback@shop.test>",
    }),
    flow: createFlowTriggers({ sql: db.sql, client }),
    messageCounts: (sql, id) => campaignMessageCounts(sql, id),
    outreach: {
      ...outreachPort,
      async createTasks(sql, input) {
        const a = performance.now();
        try {
          return await outreachPort.createTasks(sql, input);
        } finally {
          vipTasks.ms += performance.now() - a;
          vipTasks.n += input.customerIds.length;
        }
      },
    },
    now: () => new Date(),
    bulkPollMs: 100,
    bulkWaitMs: 900_000,
  };
  const launchRun = { startedAt: 0, endedAt: 0, error: null as unknown };
  const defs: JobDefinition[] = campaignJobDefinitions(async () => deps).map((d) =>
    d.queue !== LAUNCH_QUEUE
      ? d
      : {
          ...d,
          expireInSeconds: 1800,
          handler: async (p, ctx) => {
            launchRun.startedAt ||= performance.now();
            try {
              await d.handler(p, ctx);
            } catch (e) {
              launchRun.error = e;
              throw e;
            }
            launchRun.endedAt = performance.now();
          },
        },
  );
  // One queue sends every campaign job; the worker runs only the launch: the touch batches it creates stay queued and are counted.
  const sender = new PgBossJobQueue(url, defs, { sql: db.sql, work: false });
  const worker = new PgBossJobQueue(
    url,
    defs.filter((d) => d.queue === LAUNCH_QUEUE),
    { sql: db.sql, concurrency: 1, pollSeconds: 0.2 },
  );
  // Other features' jobs the launch queues (the VIP tasks' escalation check) are noted, not run.
  const campaignQueues = new Set(defs.map((d) => d.queue));
  const otherJobs: string[] = [];
  deps.queue = {
    send: (q, p, o) =>
      campaignQueues.has(q) ? timed(events, `queue.send ${q}`, () => sender.send(q, p, o)) : (otherJobs.push(q), Promise.resolve(null)),
  };
  await sender.start();
  await worker.start();

  try {
    const requestedAt = performance.now();
    const { campaignId } = await requestLaunch(deps, {
      shop: SHOP,
      launchKey: `bench-launch-${randomBytes(3).toString("hex")}`,
      name: "Bench",
      settings: {},
    });
    for (;;) {
      if (launchRun.endedAt) break;
      if (launchRun.error) {
        const row = (await db.sql.query<any>(`SELECT "launchError" FROM "Campaign" WHERE id = $1`, [campaignId]))[0];
        if (!String(row?.launchError ?? "").endsWith("(retrying)")) throw new Error(`launch failed: ${row?.launchError}`);
        log(`launch job attempt failed (the queue retries): ${(launchRun.error as Error).message}`);
      }
      launchRun.error = null;
      await new Promise((r) => setTimeout(r, 200));
    }
    const c = (await db.sql.query<any>(`SELECT status, "launchSteps", "launchError" FROM "Campaign" WHERE id = $1`, [campaignId]))[0];
    if (c.status !== "active") throw new Error(`launch ended ${c.status}: ${c.launchError}`);
    const at = (step: string) => performance.now() - (Date.now() - new Date(c.launchSteps[step].doneAt).getTime());
    const doneAt = {
      members: at("members"),
      tags: at("tags"),
      segment: at("segment"),
      discount: at("discount"),
      outreach: at("outreach"),
      touches: at("touches"),
    };
    // The holdout split runs inside the snapshot (one hash per target); timed alone here on the same ids.
    const ids = await db.sql.query<{ id: string }>(`SELECT "customerId"::text AS id FROM "CustomerScore" WHERE shop = $1 AND target`, [
      SHOP,
    ]);
    t = performance.now();
    let holdouts = 0;
    for (const r of ids) if (isHoldout(campaignId, r.id, 0.1)) holdouts++;
    const holdoutMs = performance.now() - t;
    const counts = (
      await db.sql.query<{ members: number; treated: number; touches: number; batches: number }>(
        `SELECT (SELECT count(*)::int FROM "CampaignMember" WHERE "campaignId" = $1) AS members,
                (SELECT count(*)::int FROM "CampaignMember" WHERE "campaignId" = $1 AND NOT holdout) AS treated,
                (SELECT count(*)::int FROM "CampaignTouch" WHERE "campaignId" = $1) AS touches,
                (SELECT count(DISTINCT (day, batch))::int FROM "CampaignTouch" WHERE "campaignId" = $1) AS batches`,
        [campaignId],
      )
    )[0]!;
    const jobs = (
      await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND data ->> 'campaignId' = $2`, [
        TOUCH_BATCH_QUEUE,
        campaignId,
      ])
    )[0]!.n;
    const bulkMs = bulk.doneAt - bulk.startedAt;
    const steps: LaunchBenchResult["steps"] = {
      snapshot: s(doneAt.members - launchRun.startedAt),
      holdout: s(holdoutMs),
      tags: s(doneAt.tags - doneAt.members - bulkMs),
      bulkMutationInEmulator: s(bulkMs),
      segment: s(doneAt.segment - doneAt.tags),
      discount: s(doneAt.discount - doneAt.segment),
      vipTasks: s(doneAt.outreach - doneAt.discount),
      touches: s(doneAt.touches - doneAt.outreach),
      markLaunched: s(launchRun.endedAt - doneAt.touches),
    };
    const wallSeconds = s(doneAt.touches - requestedAt);
    const seconds = wallSeconds - s(bulkMs);

    // Baseline: the old scheduling (one job per touch, its id written back per 500) on a sample of the same touches.
    const sample = opts.baselineSample ?? 2000;
    const rows = await db.sql.query<{ customerId: string; day: number; dueAt: Date }>(
      `SELECT "customerId"::text AS "customerId", day, "dueAt" FROM "CampaignTouch" WHERE "campaignId" = $1 ORDER BY "dueAt", "customerId" LIMIT $2`,
      [campaignId, sample],
    );
    t = performance.now();
    for (let i = 0; i < rows.length; i += 500) {
      const part = rows.slice(i, i + 500);
      const jobIds: string[] = [];
      for (const r of part)
        jobIds.push(
          (await sender.send(
            TOUCH_QUEUE,
            { shop: SHOP, campaignId, customerId: r.customerId, day: r.day },
            { runAt: new Date(r.dueAt), singletonKey: `baseline:${campaignId}:${r.customerId}:${r.day}` },
          )) ?? "existing",
        );
      await setTouchJobs(
        db.sql,
        campaignId,
        part.map((r, k) => ({ customerId: r.customerId, day: r.day, jobId: jobIds[k]! })),
      );
    }
    const msPerTouch = (performance.now() - t) / rows.length;
    const estimatedSeconds = s(msPerTouch * counts.touches);

    // The page: one call, then reactivation orders arrive and 20 calls after one warm-up.
    const pageEvents: Timed[] = [];
    const pageDeps = { sql: profiledSql(db.sql, pageEvents), messageCounts: deps.messageCounts, now: deps.now };
    t = performance.now();
    await loadCampaignPage(pageDeps, SHOP, campaignId);
    const campaignPageMs = performance.now() - t;
    const reactivationOrders = await seedReactivations(db.sql, campaignId);
    // Seeded behind the webhooks' back (set-based SQL), as a sync would: the reconciliation after a sync counts them (ADR 105).
    t = performance.now();
    await reconcileCampaignTotals(db.sql, SHOP, campaignId, new Date());
    const reconcileMs = performance.now() - t;
    const page = await loadCampaignPage(pageDeps, SHOP, campaignId);
    const pageMs: number[] = [];
    const pageFrom = performance.now();
    for (let i = 0; i < 20; i++) {
      t = performance.now();
      await loadCampaignPage(pageDeps, SHOP, campaignId);
      pageMs.push(performance.now() - t);
    }
    t = performance.now();
    await loadCampaignList(db.sql, SHOP);
    const campaignListMs = performance.now() - t;

    // ADR 105, in the same run: the figures the page computed per view until now (the join of the
    // window's orders to the members, the member counts, two counts over the touches) against the
    // kept totals, alternating call by call; and whether they are identical at this size.
    const row = await getCampaign(db.sql, SHOP, campaignId);
    const oldMs: number[] = [];
    const newMs: number[] = [];
    let identical = true;
    for (let i = 0; i < 20; i++) {
      t = performance.now();
      const o = await armTotalsFromOrders(db.sql, row);
      await touchStateCounts(db.sql, campaignId);
      await touchVariantCounts(db.sql, campaignId);
      oldMs.push(performance.now() - t);
      t = performance.now();
      const n = await armTotalsFromTotals(db.sql, row, new Date());
      await touchStateTotals(db.sql, campaignId);
      await touchVariantTotals(db.sql, campaignId);
      newMs.push(performance.now() - t);
      if (i === 0) identical = JSON.stringify({ ...o, branches: [...o.branches] }) === JSON.stringify({ ...n, branches: [...n.branches] });
    }
    // What keeping them costs an order webhook: 200-order batches of refunds of window orders (the
    // members' figures change), with the campaigns' hook and without, alternating.
    const windowOrders = await db.sql.query<{ id: string; customerId: string; processedAt: Date; total: string }>(
      `SELECT id::text AS id, "customerId"::text AS "customerId", "processedAt", "currentTotal"::text AS total FROM "Order"
        WHERE shop = $1 AND id >= 9000000000000 ORDER BY id LIMIT 4000`,
      [SHOP],
    );
    const hookMs = { withHook: 0, without: 0, nWith: 0, nWithout: 0 };
    for (let i = 0; i < windowOrders.length; i += 200) {
      const batch = windowOrders.slice(i, i + 200).map((o, k) =>
        parseOrderWebhook({
          id: o.id,
          created_at: new Date(o.processedAt).toISOString(),
          processed_at: new Date(o.processedAt).toISOString(),
          updated_at: new Date(Date.now() + i + k).toISOString(),
          currency: "EUR",
          total_price: o.total,
          current_total_price: (Number(o.total) - 1).toFixed(2),
          customer: { id: o.customerId },
        }),
      );
      const withHook = (i / 200) % 2 === 0;
      t = performance.now();
      await applyOrderChanges(
        db.sql,
        SHOP,
        batch,
        withHook ? (tx, shop, ids) => refreshMemberWindows(tx, shop, ids, new Date()).then(() => undefined) : undefined,
      );
      const ms = performance.now() - t;
      if (withHook) {
        hookMs.withHook += ms;
        hookMs.nWith += batch.length;
      } else {
        hookMs.without += ms;
        hookMs.nWithout += batch.length;
      }
    }
    // The orders edited without the hook are what a missed event leaves behind: the reconciliation heals them.
    const healed = await reconcileCampaignTotals(db.sql, SHOP, campaignId, new Date());
    // The steady state after a sync: nothing to heal, so only the lock-free check runs.
    t = performance.now();
    await reconcileCampaignTotals(db.sql, SHOP, campaignId, new Date());
    const checkMs = performance.now() - t;

    const result: LaunchBenchResult = {
      targets: counts.members,
      treated: counts.treated,
      vipTasks: vipTasks.n,
      touches: counts.touches,
      jobs,
      seconds,
      wallSeconds,
      steps,
      baseline: { sample: rows.length, msPerTouch, estimatedSeconds, ratio: estimatedSeconds / steps.touches },
      loaders: { campaignPageMs, campaignPageP50Ms: percentile(pageMs, 50), campaignPageP95Ms: percentile(pageMs, 95), campaignListMs },
      totals: {
        oldP50Ms: percentile(oldMs, 50),
        oldP95Ms: percentile(oldMs, 95),
        newP50Ms: percentile(newMs, 50),
        newP95Ms: percentile(newMs, 95),
        identical,
        reconcileMs,
        webhookMsPerOrder: {
          withHook: hookMs.withHook / Math.max(1, hookMs.nWith),
          without: hookMs.without / Math.max(1, hookMs.nWithout),
        },
      },
    };
    const f = (x: number) => x.toFixed(2).padStart(7);
    const bounds: Array<[string, number, number]> = [
      ["snapshot", launchRun.startedAt, doneAt.members],
      ["tagging", doneAt.members, doneAt.tags],
      ["segment", doneAt.tags, doneAt.segment],
      ["discount", doneAt.segment, doneAt.discount],
      ["VIP tasks", doneAt.discount, doneAt.outreach],
      ["touches", doneAt.outreach, doneAt.touches],
    ];
    log(`where the launch's time went (timed calls summed by statement, top 5 per step; polls of the bulk run are under tagging):`);
    for (const [step, a, b] of bounds) {
      log(`  ${step}`);
      for (const line of stepProfile(events, a, b)) log(line);
    }
    log(`launch steps (s):`);
    log(
      `  snapshot of members ${f(steps.snapshot)}   (holdout split alone: ${f(steps.holdout)} for ${ids.length} targets, ${holdouts} holdout)`,
    );
    log(
      `  tagging             ${f(steps.tags)}   (without the emulator's bulk mutation run of ${steps.bulkMutationInEmulator.toFixed(2)} s)`,
    );
    log(`  segment             ${f(steps.segment)}`);
    log(`  discount            ${f(steps.discount)}`);
    log(
      `  VIP outreach tasks  ${f(steps.vipTasks)}   (${vipTasks.n} tasks; deps.outreach.createTasks alone ${(vipTasks.ms / 1000).toFixed(2)} s)`,
    );
    log(
      `  touches scheduled   ${f(steps.touches)}   (${counts.touches} touches in ${counts.batches} batches, ${jobs} ${TOUCH_BATCH_QUEUE} jobs)`,
    );
    log(`  markLaunched        ${f(steps.markLaunched)}`);
    log(
      `targets ${counts.members} (treated ${counts.treated}), touches ${counts.touches}, jobs ${jobs} (other features' jobs queued: ${otherJobs.join(", ") || "none"})`,
    );
    log(
      `every touch scheduled ${wallSeconds.toFixed(2)} s after the launch request, ${seconds.toFixed(2)} s without the emulator's bulk run`,
    );
    log(
      `baseline (one job per touch, ${rows.length} sampled): ${msPerTouch.toFixed(3)} ms per touch -> ${estimatedSeconds.toFixed(0)} s for ${counts.touches} touches; ` +
        `batched scheduling is ${result.baseline.ratio.toFixed(0)}x faster`,
    );
    const m = page.report?.measurement;
    log(
      `campaign page loader ${campaignPageMs.toFixed(0)} ms right after the launch; with ${reactivationOrders} window orders seeded ` +
        `(reactivated: treated ${m?.treated.reactivated}/${m?.treated.n}, holdout ${m?.holdout.reactivated}/${m?.holdout.n}): ` +
        `20 calls p50 ${result.loaders.campaignPageP50Ms.toFixed(0)} ms, p95 ${result.loaders.campaignPageP95Ms.toFixed(0)} ms; ` +
        `campaigns list ${campaignListMs.toFixed(0)} ms (launched ${counts.members}-member campaign)`,
    );
    log(`  the page's statements over the 20 calls:`);
    for (const line of stepProfile(pageEvents, pageFrom, performance.now(), 8)) log(line);
    const x = result.totals;
    log(
      `campaign figures, 20 calls alternating: old join + counts p50 ${x.oldP50Ms.toFixed(0)} ms, p95 ${x.oldP95Ms.toFixed(0)} ms; ` +
        `kept totals p50 ${x.newP50Ms.toFixed(1)} ms, p95 ${x.newP95Ms.toFixed(1)} ms (p95 ${(x.oldP95Ms / x.newP95Ms).toFixed(0)}x); identical figures: ${x.identical ? "yes" : "NO"}`,
    );
    log(
      `  reconciliation from scratch ${x.reconcileMs.toFixed(0)} ms; order webhook batches of 200 refunds: ${x.webhookMsPerOrder.withHook.toFixed(2)} ms per order with the totals hook, ` +
        `${x.webhookMsPerOrder.without.toFixed(2)} ms without (${(x.webhookMsPerOrder.withHook / x.webhookMsPerOrder.without).toFixed(2)}x); the reconciliation then corrected ${healed} members; ` +
        `a reconciliation with nothing to correct (lock-free check only) ${checkMs.toFixed(0)} ms`,
    );
    log(
      `LAUNCH: ${counts.members} targets in ${seconds.toFixed(1)} s without the emulator's bulk run (${wallSeconds.toFixed(1)} s with it; ${jobs} jobs for ${counts.touches} touches)`,
    );
    return result;
  } finally {
    await worker.stop();
    await sender.stop();
    await emu.stop();
    await db.close();
    if (opts.keepDb ?? !!process.env.BENCH_KEEP_DB) log(`kept database ${name}`);
    else await dropDatabase(base, name);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchLaunch({ targets: Number(process.argv[2] ?? 400_000), vipShare: Number(process.argv[3] ?? 0.1) });
  process.exit(0);
}
