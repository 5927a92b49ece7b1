import { randomUUID } from "node:crypto";
import type { Sql } from "../db/sql";

/**
 * The job runners' registry (docs/decisions/006-job-concurrency-and-recovery.md). Each runner
 * (one per app process) has a row in "JobWorker" whose "lastSeenAt" it refreshes every few
 * seconds; a runner not seen for `deadAfterSeconds` is dead (kill -9, lost host), and the jobs it
 * held are taken over by any live runner. Database time is the only clock: instances with skewed
 * clocks still agree on who is dead.
 */
export interface RunnerTiming {
  /** How often a runner says it is alive and renews its jobs (default 5 s). */
  heartbeatSeconds?: number;
  /** A runner not seen for this long is dead and its jobs are taken over (default 30 s). */
  deadAfterSeconds?: number;
}

export const DEFAULT_HEARTBEAT_SECONDS = 5;
export const DEFAULT_DEAD_AFTER_SECONDS = 30;

export function newWorkerId(): string {
  return `${process.pid}-${randomUUID()}`;
}

export async function heartbeat(sql: Sql, workerId: string): Promise<void> {
  await sql.query(
    `INSERT INTO "JobWorker" (id, "startedAt", "lastSeenAt") VALUES ($1, now(), now()) ON CONFLICT (id) DO UPDATE SET "lastSeenAt" = now()`,
    [workerId],
  );
}

/** A stopped runner leaves the registry at once: its jobs (if any were left) are free immediately. */
export async function unregister(sql: Sql, workerId: string): Promise<void> {
  await sql.query(`DELETE FROM "JobWorker" WHERE id = $1`, [workerId]);
}

/** SQL condition: the runner named by `col` is alive (registered and seen within `$n` seconds). */
export const aliveWorker = (col: string, secondsParam: string) =>
  `EXISTS (SELECT 1 FROM "JobWorker" w WHERE w.id = ${col} AND w."lastSeenAt" > now() - ${secondsParam} * interval '1 second')`;

/** Runners gone for a day are forgotten (their jobs were taken over long before). */
export async function forgetOldWorkers(sql: Sql): Promise<void> {
  await sql.query(`DELETE FROM "JobWorker" WHERE "lastSeenAt" < now() - interval '1 day'`);
}
