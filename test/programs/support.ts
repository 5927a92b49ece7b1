import type { CampaignDeps } from "../../app/campaigns/deps";
import { outreachPort } from "../../app/campaigns/feature";
import { campaignJobDefinitions } from "../../app/campaigns/jobs";
import { reconcileReactivations } from "../../app/campaigns/touch";
import type { Database } from "../../app/db/open";
import { campaignMessageCounts } from "../../app/messaging/feedback";
import { createFlowTriggers } from "../../app/messaging/flow";
import { createMessenger } from "../../app/messaging/messenger";
import { createAdminClient } from "../../app/shopify/graphql-client";
import { requestSync } from "../../app/sync/start";
import { createTestDb, type TestDb } from "../support/db";
import { harness as syncHarness, SHOP, type Harness as SyncHarness, type Sent } from "../sync/support";

export { SHOP };
export const DAY = 86_400_000;

export interface ProgramHarness {
  sync: SyncHarness;
  tdb: TestDb;
  db: Database;
  deps: CampaignDeps;
  /** The injected clock: the app's and the emulator's (orders, tokens, discounts) */
  clock: { now: Date };
  jobs: Sent[];
  mails: Array<{ to: string; subject: string; text: string }>;
  /** Runs queued campaign/program jobs whose runAt has come, FIFO, until none is due. */
  runDue(opts?: { queues?: string[]; limit?: number }): Promise<Sent[]>;
  /** Re-reads the shop's orders (a sync) and lets the campaigns feature react, as its onSyncCompleted hook does. */
  syncOrders(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Emulator on the harness' clock + synced database + the real messenger (recording transport),
 * Flow triggers and outreach tasks. Scores come from `seedScores` (what the analysis would write).
 */
export async function programHarness(opts: { customers?: number; seed?: number; start?: Date } = {}): Promise<ProgramHarness> {
  const clock = { now: opts.start ?? new Date(Math.floor(Date.now() / DAY) * DAY + 7 * 3_600_000) };
  const tdb = await createTestDb("pglite");
  const sync = await syncHarness({
    db: tdb.db,
    emulator: { now: () => clock.now },
    seed: { seed: opts.seed ?? 21, customers: opts.customers ?? 400, years: 2 },
  });
  sync.sent.length = 0;
  await requestSync(sync.deps, SHOP);
  await sync.drain();
  const sql = tdb.db.sql;
  await sql.query(
    `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", email, "updatedAt") VALUES ($1, 'Emulated Shop', 'EUR', 'Europe/Berlin', 'owner@shop.test', now())
     ON CONFLICT (domain) DO NOTHING`,
    [SHOP],
  );
  const jobs: Sent[] = [];
  const mails: ProgramHarness["mails"] = [];
  const client = (shop: string) =>
    Promise.resolve(
      createAdminClient({
        shop,
        accessToken: sync.token,
        urlTemplate: `${sync.emu.url}/{shop}`,
        sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 3000))),
      }),
    );
  const transport = {
    async sendMail(m: { to: unknown; subject: string; text: string }) {
      mails.push({ to: String(m.to), subject: m.subject, text: m.text });
      return { messageId: `<m${mails.length}@test>` };
    },
  };
  const deps: CampaignDeps = {
    sql,
    client,
    queue: { send: async (queue, payload, o) => (jobs.push({ queue, payload, opts: o }), `job-${jobs.length}`) },
    messenger: createMessenger({
      sql,
      transport: transport as any,
      appUrl: "https://winback.test",
      secret: "s3cret",
      from: "Winback <winback@shop.test>",
      now: () => clock.now,
    }),
    flow: createFlowTriggers({ sql, client, now: () => clock.now }),
    messageCounts: (s, id) => campaignMessageCounts(s, id),
    outreach: outreachPort,
    now: () => clock.now,
    apiKey: "winback-test-key",
    sleep: async () => {},
    bulkPollMs: 5,
    bulkWaitMs: 20_000,
  };
  const defs = campaignJobDefinitions(async () => deps);
  return {
    sync,
    tdb,
    db: tdb.db,
    deps,
    clock,
    jobs,
    mails,
    async runDue(o = {}) {
      const done: Sent[] = [];
      for (let i = 0; i < (o.limit ?? 20_000); i++) {
        const idx = jobs.findIndex(
          (j) => (!o.queues || o.queues.includes(j.queue)) && (!j.opts?.runAt || j.opts.runAt.getTime() <= clock.now.getTime()),
        );
        if (idx < 0) break;
        const job = jobs.splice(idx, 1)[0]!;
        const def = defs.find((d) => d.queue === job.queue);
        if (!def) continue;
        await def.handler(def.payload.parse(job.payload), { jobId: `j${i}`, attempt: 1 });
        done.push(job);
      }
      return done;
    },
    async syncOrders() {
      sync.sent.length = 0;
      await requestSync(sync.deps, SHOP);
      await sync.drain();
      await reconcileReactivations(deps, SHOP);
    },
    async close() {
      await sync.emu.stop();
      await tdb.drop();
    },
  };
}

/**
 * Scores as the analysis writes them, from the synced customers: the top tenth by spend are VIPs,
 * `target` marks every other customer silent for targetFromDays..targetToDays (a one-off campaign's audience).
 */
export async function seedScores(sql: Database["sql"], now: Date, opts: { targetFromDays?: number; targetToDays?: number } = {}) {
  await sql.query(`DELETE FROM "CustomerScore" WHERE shop = $1`, [SHOP]);
  await sql.query(
    `INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, branch, orders, "purchaseDays", "totalSpent", aov,
                                  "firstOrderAt", "lastOrderAt", "daysSinceLast", "churnRisk")
     SELECT shop, id, 'seed', 'active', false, vip, target, CASE WHEN target THEN CASE WHEN vip THEN 'VIP' ELSE 'Standard' END END, "orderCount", "orderCount",
            "totalSpent"::float8, ("totalSpent" / greatest("orderCount", 1))::float8, "firstOrderAt", "lastOrderAt", days, 0.5
     FROM (SELECT *, percent_rank() OVER (ORDER BY "totalSpent" DESC, id) < 0.1 AS vip,
                  floor(extract(epoch FROM ($2::timestamp - "lastOrderAt")) / 86400)::int AS days,
                  (floor(extract(epoch FROM ($2::timestamp - "lastOrderAt")) / 86400) BETWEEN $3 AND $4 AND id % 2 = 0) AS target
           FROM "Customer" WHERE shop = $1 AND "orderCount" > 0) c`,
    [SHOP, now.toISOString(), opts.targetFromDays ?? 100000, opts.targetToDays ?? 100000],
  );
}
