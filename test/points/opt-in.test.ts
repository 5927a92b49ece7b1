import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Feature } from "../../app/jobs/feature";
import type { FlowTriggerEvent, OutboundEmail, SendOutcome } from "../../app/messaging/types";
import { createPointsFeature } from "../../app/points/feature";
import { POINTS_JOBS, type PointsJobDeps } from "../../app/points/jobs";
import { customerPoints } from "../../app/points/read-overview";
import { loadLedgerRows, loadPointsSettings } from "../../app/points/store";
import { turnPointsOff, turnPointsOn } from "../../app/points/turn-on";
import { createAdminClient } from "../../app/shopify/graphql-client";
import { applyOrderWebhook } from "../../app/sync/store/live";
import { startSync } from "../../app/sync/start";
import { metafieldStore } from "../shopify-emulator/modules/metafields";
import { createTestDb, type TestDb } from "../support/db";
import { harness, SHOP, type Harness } from "../sync/support";

/**
 * Points are opt-in (issue 13 item 3, ADR 079). A shop installs, syncs a year of orders (some
 * customers' points would expire within days) and the points jobs run as the queue would run them:
 * nothing reaches customers or the storefront until the merchant turns points on, and "only from
 * now on" means past orders earn nothing. The emulator's mutation log and metafield store are the
 * witnesses: what Shopify was asked to write.
 */
// The emulator seeds orders up to the real clock, so the test starts from it.
const NOW = new Date();
const DAY = 86_400_000;

describe("points are off until the merchant turns them on", () => {
  let t: TestDb;
  let h: Harness;
  let feature: Feature;
  let deps: PointsJobDeps;
  const queued: Array<{ queue: string; payload: any; opts?: any }> = [];
  const emails: OutboundEmail[] = [];
  const flows: FlowTriggerEvent[] = [];
  let clock = NOW;

  const loyaltyWrites = () =>
    h.emu
      .shop(SHOP)
      .mutations.filter(
        (m: { field: string }) =>
          m.field === "metafieldsSet" || m.field === "metafieldDefinitionCreate" || m.field === "bulkOperationRunMutation",
      );
  const loyaltyValues = () => Object.values(metafieldStore(h.emu.shop(SHOP)).values).filter((v) => v.namespace.includes("loyalty"));
  /** Runs every queued points job (FIFO) as the job runner would; the next day's nudge run is only recorded. */
  async function runPointsJobs(): Promise<string[]> {
    const ran: string[] = [];
    const later: typeof queued = [];
    while (queued.length) {
      const job = queued.shift()!;
      const def = feature.jobs!.find((d) => d.queue === job.queue);
      if (!def) continue;
      if (job.opts?.runAt && new Date(job.opts.runAt) > clock) {
        later.push(job);
        continue;
      }
      await def.handler(def.payload.parse(job.payload), { jobId: `j${ran.length}`, attempt: 1 });
      ran.push(job.queue);
    }
    queued.push(...later);
    return ran;
  }
  async function runNudgeJob() {
    const def = feature.jobs!.find((d) => d.queue === POINTS_JOBS.nudges)!;
    await def.handler({ shop: SHOP }, { jobId: "nudge", attempt: 1 });
  }

  beforeAll(async () => {
    t = await createTestDb("pglite");
    h = await harness({ db: t.db, seed: { seed: 5, customers: 80, years: 1 } });
    await t.db.sql.query(
      `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", "updatedAt") VALUES ($1, 'Opt-in Goods', 'USD', 'UTC', now())`,
      [SHOP],
    );
    deps = {
      sql: t.db.sql,
      client: async (shop) => createAdminClient({ shop, accessToken: h.token, urlTemplate: `${h.emu.url}/{shop}`, sleep: async () => {} }),
      queue: { send: async (queue, payload, opts) => (queued.push({ queue, payload, opts }), `p${queued.length}`) },
      nudges: async () => ({
        sql: t.db.sql,
        now: () => clock,
        messenger: {
          sendEmail: async (m): Promise<SendOutcome> => (
            emails.push(m),
            { status: "sent", messageId: `m${emails.length}`, unsubscribeUrl: "https://x.test/u" }
          ),
        },
        flow: { fire: async (e) => (flows.push(e), "fired") },
      }),
      now: () => clock,
    };
    feature = createPointsFeature({ jobDeps: () => deps });
    // The orders reach the app as at install: the initial sync, then the features hear of it.
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
  }, 180_000);
  afterAll(async () => {
    await h?.close();
    await t?.drop();
  });

  it("a fresh install + sync + the nudge job: no email, no Flow trigger, no metafield or definition written, no banner data", async () => {
    await feature.afterInstall!(SHOP);
    await feature.onSyncCompleted!(SHOP);
    await runPointsJobs();
    // Even a nudge run or a metafield sync that was queued (by an older release, or by hand) does nothing.
    await runNudgeJob();
    queued.push({ queue: POINTS_JOBS.sync, payload: { shop: SHOP, rebuild: true } });
    await runPointsJobs();

    expect(emails).toEqual([]);
    expect(flows).toEqual([]);
    expect(loyaltyWrites()).toEqual([]);
    expect(metafieldStore(h.emu.shop(SHOP)).definitions).toEqual([]);
    expect(queued.filter((j) => j.queue === POINTS_JOBS.nudges)).toEqual([]); // no daily run scheduled
    const someone = String(h.emu.shop(SHOP).customerLegacyId(0));
    expect(await customerPoints(t.db.sql, SHOP, someone, clock)).toBeNull(); // the proxy serves nothing
    expect((await loadPointsSettings(t.db.sql, SHOP)).program).toEqual({ enabled: false, earnFrom: null, changedAt: null });
  });

  it("turned on 'only from now on': past orders earn nothing, no reminder goes out; a new order earns", async () => {
    await turnPointsOn({ sql: t.db.sql, queue: deps.queue, now: () => clock }, SHOP, { pastOrders: false });
    expect(await runPointsJobs()).toContain(POINTS_JOBS.sync);
    expect((await loadLedgerRows(t.db.sql, SHOP)).filter((r) => r.balance > 0)).toEqual([]);
    await runNudgeJob();
    expect(emails).toEqual([]);

    // An order placed after turning on earns its points (live webhook path).
    clock = new Date(NOW.getTime() + DAY);
    const buyer = String(h.emu.shop(SHOP).customerLegacyId(3));
    const payload = h.emu.createOrder(SHOP, { customerId: Number(buyer), totalCents: 12_000, processedAt: clock });
    await applyOrderWebhook(t.db.sql, SHOP, payload);
    await feature.onOrderChanged!({ shop: SHOP, orderId: String(payload.id), customerId: buyer });
    const rows = (await loadLedgerRows(t.db.sql, SHOP)).filter((r) => r.balance > 0);
    expect(rows.map((r) => [r.customerId, r.balance])).toEqual([[buyer, 120]]);
  });

  it("turned on with past orders: balances from the year's orders and reminders for points about to expire (what the fresh install held back)", async () => {
    await turnPointsOn({ sql: t.db.sql, queue: deps.queue, now: () => clock }, SHOP, { pastOrders: true });
    await runPointsJobs();
    expect((await loadLedgerRows(t.db.sql, SHOP)).filter((r) => r.balance > 0).length).toBeGreaterThan(10);
    expect(loyaltyWrites().length).toBeGreaterThan(0);
    expect(loyaltyValues().length).toBeGreaterThan(0);
    await runNudgeJob();
    expect(emails.length).toBeGreaterThan(0);
    expect(emails.every((e) => e.kind === "points_nudge")).toBe(true);
  });

  it("turned off: reminders stop, the storefront values are deleted, the proxy serves nothing", async () => {
    const sentBefore = emails.length;
    await turnPointsOff({ sql: t.db.sql, queue: deps.queue, now: () => clock }, SHOP);
    await runPointsJobs();
    expect(loyaltyValues()).toEqual([]);
    expect((await loadLedgerRows(t.db.sql, SHOP)).filter((r) => r.syncedAt !== null)).toEqual([]);
    clock = new Date(clock.getTime() + 3 * DAY); // later reminders would be due by now
    await runNudgeJob();
    expect(emails.length).toBe(sentBefore);
    const someone = String(h.emu.shop(SHOP).customerLegacyId(3));
    expect(await customerPoints(t.db.sql, SHOP, someone, clock)).toBeNull();
  });
});

describe("migration 20261203001000_points_opt_in", () => {
  it("keeps points on for shops whose customers already see them, leaves every other shop off", async () => {
    const db = await createTestDb("pglite");
    try {
      const sql = db.db.sql;
      for (const d of ["live.myshopify.com", "nudged.myshopify.com", "fresh.myshopify.com", "decided.myshopify.com"]) {
        await sql.query(`INSERT INTO "Shop" (domain, "updatedAt") VALUES ($1, now())`, [d]);
      }
      await sql.query(
        `INSERT INTO "PointsLedger" (shop, "customerId", "syncedAt") VALUES ('live.myshopify.com', 1, now()), ('fresh.myshopify.com', 2, NULL), ('decided.myshopify.com', 3, now())`,
      );
      await sql.query(
        `INSERT INTO "PointsNudge" (shop, "customerId", "lotId", "offsetDays", points, value, "expiresAt", "sentAt") VALUES ('nudged.myshopify.com', 4, 'order:1', 7, 10, 0, now(), now())`,
      );
      await sql.query(
        `UPDATE "Shop" SET settings = '{"points": {"program": {"enabled": false, "earnFrom": null, "changedAt": "2026-12-01T00:00:00.000Z"}}}' WHERE domain = 'decided.myshopify.com'`,
      );
      const { readFileSync } = await import("node:fs");
      await sql.query(readFileSync(new URL("../../prisma/migrations/20261203001000_points_opt_in/migration.sql", import.meta.url), "utf8"));
      const program = async (d: string) => (await loadPointsSettings(sql, d)).program;
      expect(await program("live.myshopify.com")).toMatchObject({ enabled: true, earnFrom: null });
      expect(await program("nudged.myshopify.com")).toMatchObject({ enabled: true, earnFrom: null });
      expect(await program("fresh.myshopify.com")).toEqual({ enabled: false, earnFrom: null, changedAt: null });
      expect(await program("decided.myshopify.com")).toMatchObject({ enabled: false, changedAt: "2026-12-01T00:00:00.000Z" });
    } finally {
      await db.drop();
    }
  });
});
