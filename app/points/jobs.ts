import { z } from "zod";
import type { Sql } from "../db/sql";
import { DAY_MS } from "../domain/points";
import { defineJob, type JobDefinition, type SendOptions } from "../jobs/queue";
import type { AdminClient } from "../shopify/graphql-client";
import { applyOrderChange, loadPointsSettings, rebuildShopLedger } from "./store";
import { ensureLoyaltyDefinitions, publishRewardRate, syncLoyaltyMetafields } from "./publish-metafields";
import { runNudges, type NudgeDeps } from "./send-reminders";
import { settleStaleRedemptions } from "./redeem-points";
import { ledgerSettings } from "./settings";
import { ShopDomain } from "../lib/parse";

export const POINTS_JOBS = { sync: "points.sync", nudges: "points.nudges" } as const;

/** What the points jobs and hooks need; the production wiring is in feature.server.ts. */
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

export async function scheduleNextNudges(deps: PointsJobDeps, shop: string): Promise<void> {
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
        // After a settings change the lots themselves change (earn rate, lifetime).
        if (rebuild) await rebuildShopLedger(d.sql, shop, nowOf(d));
        const client = await d.client(shop);
        await settleStaleRedemptions({ sql: d.sql, client: async () => client, now: d.now }, shop);
        await ensureLoyaltyDefinitions(client);
        await publishRewardRate(client, ledgerSettings(await loadPointsSettings(d.sql, shop)).redemptionRate);
        await syncLoyaltyMetafields({ sql: d.sql, client, now: nowOf(d) }, shop);
      },
    }),
    defineJob({
      queue: POINTS_JOBS.nudges,
      singleton: true,
      payload: ShopPayload,
      handler: async ({ shop }) => {
        const d = await deps();
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
export async function onOrderChangedPoints(deps: PointsJobDeps, e: { shop: string; orderId: string; customerId: string | null }): Promise<void> {
  await applyOrderChange(deps.sql, e.shop, e.orderId, e.customerId, nowOf(deps));
  await deps.queue.send(POINTS_JOBS.sync, { shop: e.shop }, { singletonKey: syncKey(e.shop) });
}

export async function onSyncCompletedPoints(deps: PointsJobDeps, shop: string): Promise<void> {
  await rebuildShopLedger(deps.sql, shop, nowOf(deps));
  await deps.queue.send(POINTS_JOBS.sync, { shop }, { singletonKey: syncKey(shop) });
  await scheduleNextNudges(deps, shop);
}
