import type { Database } from "../../app/db/open";
import { createMessenger } from "../../app/messaging/messenger";
import { createFlowTriggers } from "../../app/messaging/flow";
import { campaignMessageCounts } from "../../app/messaging/feedback";
import type { CampaignMessageCounts, OutboundEmail } from "../../app/messaging/types";
import type { CampaignDeps } from "../../app/campaigns/deps";
import { outreachPort } from "../../app/campaigns/feature";
import { campaignJobDefinitions } from "../../app/campaigns/jobs";
import { TOUCH_BATCH_QUEUE, TOUCH_QUEUE } from "../../app/campaigns/launch";
import { createAdminClient } from "../../app/shopify/graphql-client";
import { createTestDb, type TestDb } from "../support/db";
import { harness as syncHarness, SHOP, type Harness as SyncHarness, type Sent } from "../sync/support";

export { SHOP };

/** The touch jobs: one per batch since ADR 084, one per touch for touches written before. */
export const TOUCH_QUEUES = [TOUCH_BATCH_QUEUE, TOUCH_QUEUE];

export interface SentMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, unknown>;
  msg: OutboundEmail;
}

export interface CampaignHarness {
  sync: SyncHarness;
  tdb: TestDb;
  db: Database;
  deps: CampaignDeps;
  clock: { now: Date };
  jobs: Sent[];
  mails: SentMail[];
  /** Replaces the guardrail counts (tests of the pause) — default: the messaging layer's own. */
  counts: { override: CampaignMessageCounts | null };
  /** Runs queued campaign jobs whose runAt has come (clock), FIFO, until none is due. */
  runDue(opts?: { queues?: string[]; limit?: number }): Promise<Sent[]>;
  advanceDays(days: number): void;
  close(): Promise<void>;
}

const DAY = 86_400_000;

/**
 * Emulator + synced database + CustomerScore targets + the real messenger (recording transport),
 * the real Flow triggers and outreach tasks. Targets: the first `vip` customers with orders are VIP,
 * the next `standard` Standard.
 */
export async function campaignHarness(
  kind: "pglite" | "postgres",
  opts: { customers?: number; vip?: number; standard?: number; deps?: Partial<CampaignDeps>; seed?: number } = {},
): Promise<CampaignHarness> {
  const tdb = await createTestDb(kind);
  const sync = await syncHarness({ db: tdb.db, seed: { seed: opts.seed ?? 11, customers: opts.customers ?? 150, years: 2 } });
  const { requestSync } = await import("../../app/sync/start");
  sync.sent.length = 0;
  await requestSync(sync.deps, SHOP);
  await sync.drain();
  const sql = tdb.db.sql;
  await sql.query(
    `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", email, settings, "updatedAt") VALUES ($1, 'Emulated Shop', 'EUR', 'Europe/Berlin', 'owner@shop.test', $2::jsonb, now())
     ON CONFLICT (domain) DO NOTHING`,
    // Marketing email needs the shop's postal address (messaging refuses it otherwise, ADR 080).
    [SHOP, JSON.stringify({ messaging: { postalAddress: "Emulated Shop\nHauptstraße 1\n10115 Berlin\nGermany" } })],
  );
  await seedTargets(sql, opts.vip ?? 10, opts.standard ?? 60);
  const clock = { now: new Date(Date.now()) };
  const jobs: Sent[] = [];
  const mails: SentMail[] = [];
  const counts: { override: CampaignMessageCounts | null } = { override: null };
  // Real waits on throttling: the emulator's bucket refills in real time (100 points/s), as Shopify's does.
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
    async sendMail(m: any) {
      mails.push({ to: String(m.to), subject: m.subject, text: m.text, html: m.html, headers: m.headers ?? {}, msg: m });
      return { messageId: `<m${mails.length}@test>` } as any;
    },
  };
  const deps: CampaignDeps = {
    sql,
    client,
    queue: { send: async (queue, payload, o) => (jobs.push({ queue, payload, opts: o }), `job-${jobs.length}`) },
    messenger: createMessenger({
      sql,
      transport,
      appUrl: "https://winback.test",
      secret: "s3cret",
      from: "Winback <winback@shop.test>",
      now: () => clock.now,
    }),
    flow: createFlowTriggers({ sql, client, now: () => clock.now }),
    messageCounts: async (s, id) => counts.override ?? campaignMessageCounts(s, id),
    outreach: outreachPort,
    now: () => clock.now,
    apiKey: "winback-test-key",
    sleep: async () => {},
    bulkPollMs: 5,
    bulkWaitMs: 20_000,
    ...opts.deps,
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
    counts,
    async runDue(o = {}) {
      const done: Sent[] = [];
      for (let i = 0; i < (o.limit ?? 5000); i++) {
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
    advanceDays(days) {
      clock.now = new Date(clock.now.getTime() + days * DAY);
    },
    async close() {
      await sync.emu.stop();
      await tdb.drop();
    },
  };
}

/** Marks customers with orders as targets, the way the analysis would: VIPs first (highest spend). */
export async function seedTargets(sql: Database["sql"], vip: number, standard: number) {
  await sql.query(`DELETE FROM "CustomerScore" WHERE shop = $1`, [SHOP]);
  await sql.query(
    `INSERT INTO "CustomerScore" (shop, "customerId", "runId", "lapseClass", overdue, vip, target, branch, orders, "purchaseDays", "totalSpent", aov,
                                  "firstOrderAt", "lastOrderAt", "daysSinceLast", "churnRisk")
     SELECT shop, id, 'seed', 'lapsed', true, rn <= $2, rn <= $2 + $3, CASE WHEN rn <= $2 THEN 'VIP' ELSE 'Standard' END, "orderCount", "orderCount",
            "totalSpent"::float8, ("totalSpent" / greatest("orderCount", 1))::float8, "firstOrderAt", "lastOrderAt", 120, 0.8
     FROM (SELECT *, row_number() OVER (ORDER BY "totalSpent" DESC, id) AS rn FROM "Customer" WHERE shop = $1 AND "orderCount" > 0) c`,
    [SHOP, vip, standard],
  );
}

export async function campaignRow(db: Database, id: string) {
  return (await db.sql.query<any>(`SELECT * FROM "Campaign" WHERE id = $1`, [id]))[0];
}

export function inspector(h: CampaignHarness) {
  const s = h.sync.emu.shop(SHOP);
  return {
    mutations: (name: string) => s.mutations.filter((m) => m.field === name),
    store: (name: string) => s.store(name, () => [] as any[]) as any[],
    tagsOf: (customerId: string) => s.data.customers.tags[s.customerIndexFromId(`gid://shopify/Customer/${customerId}`)] ?? [],
  };
}

/** Forgets every campaign of the test shop (tests that launch again on the same targets). */
export async function clearCampaigns(db: Database) {
  await db.sql.query(`DELETE FROM "CampaignTouch" WHERE shop = $1`, [SHOP]);
  await db.sql.query(`DELETE FROM "CampaignMember" WHERE shop = $1`, [SHOP]);
  await db.sql.query(`DELETE FROM "Campaign" WHERE shop = $1`, [SHOP]);
}
