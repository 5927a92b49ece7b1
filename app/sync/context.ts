import type { Sql } from "../db/sql";
import type { SendOptions } from "../jobs/queue";
import type { OrderChanged } from "../jobs/feature";
import type { AdminClient } from "../shopify/graphql-client";
import type { SyncKind } from "./store/runs";

/**
 * What the sync's steps need, passed in: infrastructure from the composition root (through
 * app/sync/feature.ts createSyncDeps), tuning and fakes from tests. The sync is a one-way chain
 * (docs/decisions/075-sync-chain.md): start → poll → download → ingest → finalize, over the store.
 * A step never imports a later one; where it hands a run on to the last step, that step arrives
 * here as `finalize`.
 */
export interface SyncDeps {
  sql: Sql;
  /** An Admin API client for a shop with a valid offline token. */
  client: (shop: string) => Promise<AdminClient>;
  queue: { send(queue: string, payload: unknown, opts?: SendOptions): Promise<string | null> };
  /** The chain's last step (app/sync/finalize.ts runFinalizer), for the steps before it. */
  finalize: RunFinalizer;
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
  /**
   * Inside the transaction that stored orders (a webhook batch, a sync merge), with the customers
   * whose orders changed (null: every customer of the shop): figures kept from the orders change
   * with them or not at all (the campaigns' measurement totals, ADR 105). A failure rolls the write back.
   */
  onOrdersWritten?: OrdersWritten;
  /** Called after each committed staging batch (progress, tests). */
  onCheckpoint?: (info: { bulkId: string; linesRead: number }) => void | Promise<void>;
}

export type OrdersWritten = (tx: Sql, shop: string, customerIds: string[] | null) => Promise<void>;

/** A run that closed: whether it was complete (then the features hear of it). */
export interface ClosedRun {
  shop: string;
  complete: boolean;
}

/** Moves a finished run's data into the live tables and says how many orders and customers it had. */
export type RunMerge = (
  tx: Sql,
  run: { id: string; shop: string; kind: SyncKind },
  outcome: { complete: boolean },
) => Promise<{
  orders: number;
  customers: number;
  /** customers whose orders the merge changed; null or absent: any */ changedCustomers?: string[] | null;
}>;

/** The finalize step as the earlier steps call it (implemented by app/sync/finalize.ts). */
export interface RunFinalizer {
  /** Merges and closes the run once every operation is ingested or failed; false while it is not. */
  finalizeRun(deps: SyncDeps, runId: string): Promise<boolean>;
  /** The closing part inside the caller's transaction (the direct load's); null while not finished. */
  closeRun(tx: Sql, deps: SyncDeps, runId: string, merge: RunMerge): Promise<ClosedRun | null>;
  /** After the closing transaction committed: schedule the healing delta, tell the features. */
  afterRunClosed(deps: SyncDeps, closed: ClosedRun): Promise<void>;
}

export const SYNC_JOBS = {
  start: "sync.start",
  poll: "sync.poll",
  ingest: "sync.ingest",
  delta: "sync.delta",
  /** The features' reactions to a batch of stored order webhooks (ADR 108). */
  reactions: "sync.order-reactions",
} as const;

/** The resources a run exports, one bulk query each. */
export const RESOURCES = ["orders", "customers"] as const;
export type SyncResource = (typeof RESOURCES)[number];

export const nowOf = (deps: Pick<SyncDeps, "now">) => deps.now?.() ?? new Date();
export const sleepOf = (deps: SyncDeps) => deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

/** The next poll of a run, with back-off: used by start (first poll) and poll (the next one). */
export async function schedulePoll(
  deps: Pick<SyncDeps, "queue" | "now" | "pollDelayMs" | "maxPollDelayMs">,
  shop: string,
  runId: string,
  pollCount: number,
) {
  const base = deps.pollDelayMs ?? 60_000;
  const delay = Math.min(deps.maxPollDelayMs ?? 15 * 60_000, base * 2 ** pollCount);
  // The key carries the poll number: a running poll job schedules its successor (the in-process
  // queue would refuse a second job under the key of the one that is running).
  await deps.queue.send(
    SYNC_JOBS.poll,
    { shop, runId },
    { runAt: new Date(nowOf(deps).getTime() + delay), singletonKey: `${runId}:${pollCount}` },
  );
}
