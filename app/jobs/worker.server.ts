import { database } from "../db.server";
import { env, isPostgresUrl } from "../env.server";
import { DbJobQueue } from "./db-queue";
import { PgBossJobQueue } from "./pgboss-queue";
import type { JobDefinition, JobQueue } from "./queue";
import { syncJobDefinitions } from "../sync/jobs";
import type { Feature } from "./feature";
import { analysisFeature } from "../analysis/feature.server";
import { campaignsFeature } from "../campaigns/feature.server";
import { outreachFeature } from "../outreach/feature.server";
import { pointsFeature } from "../points/feature.server";
import { messagingFeature } from "../messaging/feature.server";

/**
 * Composition root for background work: which jobs exist and which queue runs them. Use cases
 * receive the queue as a parameter; only this file picks the implementation.
 */
// Loaded lazily: the sync's wiring imports shopify.server, which imports this file.
const syncDeps = async () => (await import("../sync/deps.server")).syncDeps();

/** Product features after the order sync: each brings its jobs and hooks (app/jobs/feature.ts). */
export const features: Feature[] = [analysisFeature, campaignsFeature, outreachFeature, pointsFeature, messagingFeature];

export const jobDefinitions: JobDefinition[] = [...syncJobDefinitions(syncDeps), ...features.flatMap((f) => f.jobs ?? [])];

/** Called with the shop domain after each authentication (e.g. start the first sync). */
export const afterInstallHooks: Array<(shop: string) => Promise<void>> = [
  async (shop) => {
    const { ensureInitialSync } = await import("../sync/run");
    await ensureInitialSync(await syncDeps(), shop);
  },
  ...features.flatMap((f) => (f.afterInstall ? [f.afterInstall] : [])),
];

declare global {
  // eslint-disable-next-line no-var
  var __winbackQueue: JobQueue | undefined;
  // eslint-disable-next-line no-var
  var __winbackWorkersStarted: boolean | undefined;
}

export function jobQueue(): JobQueue {
  const e = env();
  globalThis.__winbackQueue ??= isPostgresUrl(e.DATABASE_URL)
    ? new PgBossJobQueue(e.DATABASE_URL, jobDefinitions, { sql: database.sql, work: e.RUN_WORKERS, concurrency: e.JOB_CONCURRENCY })
    : new DbJobQueue(database.sql, jobDefinitions, { pollMs: e.JOB_POLL_MS, concurrency: e.JOB_CONCURRENCY });
  return globalThis.__winbackQueue;
}

export function startBackgroundWork() {
  if (globalThis.__winbackWorkersStarted || !env().RUN_WORKERS) return;
  globalThis.__winbackWorkersStarted = true;
  void database
    .ready()
    .then(() => jobQueue().start())
    .catch((e) => console.error("[jobs] could not start", e));
}
