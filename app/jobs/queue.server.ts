import type { Database } from "../db/open";
import { isPostgresUrl, type Env } from "../env.server";
import { DbJobQueue } from "./db-queue";
import { PgBossJobQueue } from "./pgboss-queue";
import type { JobDefinition, JobQueue } from "./queue";

/**
 * Picks the queue implementation: pg-boss when the app runs on PostgreSQL (many instances share
 * the queues), the in-process runner over the "Job" table on the embedded database. A leaf: the
 * job definitions come from the composition root (app/app.server.ts).
 */
export function createJobQueue(db: Database, e: Env, definitions: JobDefinition[]): JobQueue {
  return isPostgresUrl(e.DATABASE_URL)
    ? new PgBossJobQueue(e.DATABASE_URL, definitions, { sql: db.sql, work: e.RUN_WORKERS, concurrency: e.JOB_CONCURRENCY })
    : new DbJobQueue(db.sql, definitions, { pollMs: e.JOB_POLL_MS, concurrency: e.JOB_CONCURRENCY });
}
