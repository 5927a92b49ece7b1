import { openDatabase, type Database } from "../../app/db/open";
import { createAdminClient } from "../../app/shopify/graphql-client";
import type { SyncDeps } from "../../app/sync/context";
import { syncJobDefinitions } from "../../app/sync/jobs";
import { runFinalizer } from "../../app/sync/finalize";
import { startEmulator, type Emulator, type EmulatorOptions } from "../shopify-emulator";

export const SHOP = "sync-test.myshopify.com";
export const API_KEY = "sync-test-key";
export const API_SECRET = "sync-test-secret";

export interface Sent {
  queue: string;
  payload: any;
  opts?: { runAt?: Date; singletonKey?: string };
}

export interface Harness {
  emu: Emulator;
  db: Database;
  deps: SyncDeps;
  sent: Sent[];
  sleeps: number[];
  token: string;
  /** Runs queued sync jobs (FIFO) until none is left; sync.delta jobs are only collected. */
  drain(opts?: { skip?: (s: Sent) => boolean }): Promise<Sent[]>;
  close(): Promise<void>;
}

export async function harness(
  opts: { seed?: Parameters<Emulator["addShop"]>[1]; emulator?: Partial<EmulatorOptions>; deps?: Partial<SyncDeps>; db?: Database } = {},
): Promise<Harness> {
  const emu = await startEmulator({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    bulkTiming: { startDelayMs: 2, rootsPerTick: 500, tickDelayMs: 0 },
    webhookRetry: { attempts: 1, baseDelayMs: 1, timeoutMs: 500 },
    ...opts.emulator,
  });
  await emu.addShop(SHOP, opts.seed ?? { seed: 7, customers: 150, years: 2 });
  const token = emu.issueAccessToken(SHOP);
  const db = opts.db ?? openDatabase({});
  await db.ready();
  const sent: Sent[] = [];
  const sleeps: number[] = [];
  const sleep = async (ms: number) => void sleeps.push(ms);
  const deps: SyncDeps = {
    sql: db.sql,
    client: async (shop) => createAdminClient({ shop, accessToken: token, urlTemplate: `${emu.url}/{shop}`, sleep }),
    queue: { send: async (queue, payload, o) => (sent.push({ queue, payload, opts: o }), `job-${sent.length}`) },
    finalize: runFinalizer,
    sleep,
    batchLines: 400,
    pollDelayMs: 1,
    ...opts.deps,
  };
  const defs = syncJobDefinitions(() => deps);
  const delta: Sent[] = [];
  return {
    emu,
    db,
    deps,
    sent,
    sleeps,
    token,
    async drain(o = {}) {
      const done: Sent[] = [];
      for (let i = 0; i < 500 && sent.length; i++) {
        const job = sent.shift()!;
        if (job.queue === "sync.delta" || o.skip?.(job)) {
          delta.push(job);
          continue;
        }
        if (job.queue === "sync.poll") await emu.bulk.idle();
        const def = defs.find((d) => d.queue === job.queue)!;
        await def.handler(def.payload.parse(job.payload), { jobId: `j${i}`, attempt: 1 });
        done.push(job);
      }
      return done;
    },
    async close() {
      await emu.stop();
      if (!opts.db) await db.close();
    },
  };
}

/** Per-customer aggregates computed from the emulator's own data (the expected answer). */
export function expectedAggregates(emu: Emulator, shop = SHOP) {
  const s = emu.shop(shop);
  const out = new Map<string, { n: number; cents: number; first: string; last: string }>();
  for (let i = 0; i < s.data.orders.length; i++) {
    if (s.data.orders.deleted.has(i)) continue;
    const v = s.orderView(i);
    if (v.test || v.cancelledAt || v._customerIdx < 0) continue;
    const id = String(s.customerLegacyId(v._customerIdx));
    const a = out.get(id) ?? { n: 0, cents: 0, first: v.processedAt, last: v.processedAt };
    a.n++;
    a.cents += v._currentCents;
    if (v.processedAt < a.first) a.first = v.processedAt;
    if (v.processedAt > a.last) a.last = v.processedAt;
    out.set(id, a);
  }
  return out;
}

export async function actualAggregates(db: Database, shop = SHOP) {
  const rows = await db.sql.query<{
    id: string;
    orderCount: number;
    totalSpent: string;
    firstOrderAt: Date | null;
    lastOrderAt: Date | null;
  }>(`SELECT id::text, "orderCount", "totalSpent"::text, "firstOrderAt", "lastOrderAt" FROM "Customer" WHERE shop = $1`, [shop]);
  return new Map(rows.map((r) => [r.id, r]));
}

export async function compareAggregates(emu: Emulator, db: Database, shop = SHOP) {
  const want = expectedAggregates(emu, shop);
  const got = await actualAggregates(db, shop);
  const problems: string[] = [];
  for (const [id, w] of want) {
    const g = got.get(id);
    if (!g) {
      problems.push(`${id} missing`);
      continue;
    }
    if (g.orderCount !== w.n || Math.round(Number(g.totalSpent) * 100) !== w.cents)
      problems.push(`${id}: ${g.orderCount}/${g.totalSpent} want ${w.n}/${(w.cents / 100).toFixed(2)}`);
    if (g.lastOrderAt?.toISOString().slice(0, 19) !== w.last.slice(0, 19))
      problems.push(`${id}: last ${g.lastOrderAt?.toISOString()} want ${w.last}`);
  }
  for (const [id, g] of got) if (!want.has(id) && g.orderCount !== 0) problems.push(`${id}: ${g.orderCount} orders, want 0`);
  return { problems, customers: want.size };
}

export async function counts(db: Database, shop = SHOP) {
  const r = await db.sql.query<{ o: number; l: number; c: number; so: number; sl: number; sc: number }>(
    `SELECT (SELECT count(*)::int FROM "Order" WHERE shop = $1) o, (SELECT count(*)::int FROM "OrderLine" WHERE shop = $1) l,
            (SELECT count(*)::int FROM "Customer" WHERE shop = $1) c, (SELECT count(*)::int FROM "SyncStageOrder") so,
            (SELECT count(*)::int FROM "SyncStageOrderLine") sl, (SELECT count(*)::int FROM "SyncStageCustomer") sc`,
    [shop],
  );
  return r[0]!;
}

export function expectedLineCount(emu: Emulator, shop = SHOP) {
  const s = emu.shop(shop);
  let n = 0;
  for (let i = 0; i < s.data.orders.length; i++) if (!s.data.orders.deleted.has(i)) n += s.lineItems(i).length;
  return n;
}

export async function latestRun(db: Database, shop = SHOP) {
  return (await db.sql.query<any>(`SELECT * FROM "SyncRun" WHERE shop = $1 ORDER BY "startedAt" DESC LIMIT 1`, [shop]))[0];
}
