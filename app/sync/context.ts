import type { Sql } from "../db/sql";
import type { SendOptions } from "../jobs/queue";
import type { OrderChanged } from "../jobs/feature";
import type { AdminClient } from "../shopify/graphql-client";

/** What the sync use cases need, passed in (production wiring: app/sync/deps.server.ts, created by app/app.server.ts). */
export interface SyncDeps {
  sql: Sql;
  /** An Admin API client for a shop with a valid offline token. */
  client: (shop: string) => Promise<AdminClient>;
  queue: { send(queue: string, payload: unknown, opts?: SendOptions): Promise<string | null> };
  now?: () => Date;
  /** Download of bulk results (defaults to global fetch). */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** false: never load an orders export straight into the live tables (docs/decisions/051); tests. */
  directLoad?: boolean;
  /** JSONL lines per staging transaction (default 20,000). */
  batchLines?: number;
  /** First poll of a bulk operation if no finish webhook arrived (default 60 s), doubling up to 15 min. */
  pollDelayMs?: number;
  maxPollDelayMs?: number;
  /** Interval of the healing delta sync (default 6 h). */
  deltaIntervalMs?: number;
  /** After a run merged completely (features recompute: analysis, points, ...). */
  onSyncCompleted?: (shop: string) => Promise<void>;
  /** After an order webhook changed a stored order (campaign exits, VIP won back, points). */
  onOrderChanged?: (event: OrderChanged) => Promise<void>;
  /** Called after each committed staging batch (progress, tests). */
  onCheckpoint?: (info: { bulkId: string; linesRead: number }) => void | Promise<void>;
}

export const SYNC_JOBS = {
  start: "sync.start",
  poll: "sync.poll",
  ingest: "sync.ingest",
  delta: "sync.delta",
} as const;

export const nowOf = (deps: SyncDeps) => deps.now?.() ?? new Date();
export const sleepOf = (deps: SyncDeps) => deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
