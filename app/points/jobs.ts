import { z } from "zod";
import type { Sql } from "../db/sql";
import { DAY_MS } from "../domain/points";
import { defineJob, type JobDefinition, type SendOptions } from "../jobs/queue";
import type { AdminClient } from "../shopify/graphql-client";
import { applyOrderChange, loadPointsSettings, rebuildShopLedger } from "./store";
import { clearLoyaltyMetafields, ensureLoyaltyDefinitions, publishRewardRate, syncLoyaltyMetafields } from "./publish-metafields";
import { runNudges, type NudgeDeps } from "./send-reminders";
import { settleStaleRedemptions } from "./redeem-points";
import { ledgerSettings } from "./settings";
import { ShopDomain } from "../lib/parse";

export const POINTS_JOBS = { sync: "points.sync", nudges: "points.nudges" } as const;

/** What the points jobs and hooks need; the production wiring is in feature.ts. */
export interface PointsJobDeps {
  sql: Sql;
  client: (shop: string) => Promise<AdminClient>;
  queue: { send(queue: string, payload: unknown, opts?: SendOptions): Promise<string | null> };
  nudges: () => Promise<NudgeDeps>;
  now?: () => Date;
}

const ShopPayload = z.object({ shop: ShopDomain });
const nowOf = (d: PointsJobDeps) => d.now?.() ?? new Date();

export const syncKey = (shop: string) => `${POINTS_JOBS.sync}:${shop}`;
/** One nudge run per shop and UTC day, whoever schedules it (install, sync, the previous run). */
export const nudgesKey = (shop: string, at: Date) => `${POINTS_JOBS.nudges}:${shop}:${at.toISOString().slice(0, 10)}`;

/** Whether the merchant turned points on (ADR 079); every hook and job checks it first. */
export async function pointsEnabled(sql: Sql, shop: string): Promise<boolean> {
  return (await loadPointsSettings(sql, shop)).program.enabled;
}

/** The next daily reminder run, while points are on (install and every sync ask; a no-op when off). */
export async function scheduleNextNudges(deps: PointsJobDeps, shop: string): Promise<void> {
  if (!(await pointsEnabled(deps.sql, shop))) return;
  const now = nowOf(deps);
  // Next run at 09:00 UTC tomorrow: reminders arrive in the morning for most of the shop's customers.
  const next = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS + DAY_MS + 9 * 3_600_000);
  await deps.queue.send(POINTS_JOBS.nudges, { shop }, { runAt: next, singletonKey: nudgesKey(shop, next) });
}

export function pointsJobDefinitions(deps: () => PointsJobDeps | Promise<PointsJobDeps>): JobDefinition[] {
  return [
    defineJob({
      queue: POINTS_JOBS.sync,
      singleton: true,
      payload: ShopPayload.extend({ rebuild: z.boolean().optional() }),
      handler: async ({ shop, rebuild }) => {
        const d = await deps();
        const app = await loadPointsSettings(d.sql, shop);
        if (!app.program.enabled) {
          // Off (ADR 079): nothing is written to Shopify. Turned off after being on: the banner's
          // values are deleted; never turned on: nothing was ever written, so not even a client.
          if (app.program.changedAt === null) return;
          const client = await d.client(shop);
          await settleStaleRedemptions({ sql: d.sql, client: async () => client, now: d.now }, shop);
          await clearLoyaltyMetafields({ sql: d.sql, client }, shop, { reward: true });
          return;
        }
        // After a settings change (or turning points on) the lots themselves change (earn rate, lifetime, start).
        if (rebuild) await rebuildShopLedger(d.sql, shop, nowOf(d));
        const client = await d.client(shop);
        await settleStaleRedemptions({ sql: d.sql, client: async () => client, now: d.now }, shop);
        await ensureLoyaltyDefinitions(client);
        await publishRewardRate(client, ledgerSettings(app).redemptionRate);
        await syncLoyaltyMetafields({ sql: d.sql, client, now: nowOf(d) }, shop);
      },
    }),
    defineJob({
      queue: POINTS_JOBS.nudges,
      singleton: true,
      payload: ShopPayload,
      handler: async ({ shop }) => {
        const d = await deps();
        // Off: no reminder and no next run (turning points on schedules one).
        if (!(await pointsEnabled(d.sql, shop))) return;
        // Balances move when lots expire, without any order: refresh the storefront values daily too.
        await rebuildShopLedger(d.sql, shop, nowOf(d));
        await runNudges(await d.nudges(), shop);
        await d.queue.send(POINTS_JOBS.sync, { shop }, { singletonKey: syncKey(shop) });
        await scheduleNextNudges(d, shop);
      },
    }),
  ];
}

/** Hooks: the ledger follows orders; the storefront values follow the ledger. */
export async function onOrderChangedPoints(
  deps: PointsJobDeps,
  e: { shop: string; orderId: string; customerId: string | null },
): Promise<void> {
  if (!(await pointsEnabled(deps.sql, e.shop))) return;
  await applyOrderChange(deps.sql, e.shop, e.orderId, e.customerId, nowOf(deps));
  await deps.queue.send(POINTS_JOBS.sync, { shop: e.shop }, { singletonKey: syncKey(e.shop) });
}

export async function onSyncCompletedPoints(deps: PointsJobDeps, shop: string): Promise<void> {
  if (!(await pointsEnabled(deps.sql, shop))) return;
  await rebuildShopLedger(deps.sql, shop, nowOf(deps));
  await deps.queue.send(POINTS_JOBS.sync, { shop }, { singletonKey: syncKey(shop) });
  await scheduleNextNudges(deps, shop);
}
