import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import PgBoss from "pg-boss";
import { DbJobQueue } from "../../app/jobs/db-queue";
import { PgBossJobQueue } from "../../app/jobs/pgboss-queue";
import { defineJob, type JobDefinition } from "../../app/jobs/queue";
import { createTestDb, TEST_DATABASE_URL, type TestDb } from "../support/db";
import { until } from "../support/until";

/**
 * Issue 16, findings 6 and 7: after kill -9 a dead worker's jobs stayed `active` until pg-boss's
 * 15-minute expiry (and the embedded queue's 10-minute lease); workers took one job and slept.
 * Every wait here is for a condition (bounded by a generous deadline), never a fixed sleep.
 */
function recorder(queue: string) {
  const ran: string[] = [];
  const def: JobDefinition = defineJob({ queue, payload: z.object({ n: z.number() }), handler: async (p) => void ran.push(String(p.n)) });
  return { ran, def };
}

describe("embedded queue (DbJobQueue)", () => {
  let t: TestDb;
  const queues: DbJobQueue[] = [];
  beforeAll(async () => {
    t = await createTestDb("pglite");
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.stop();
  });
  afterAll(async () => t?.drop());

  it("takes over a job left active by a runner that died, long before the job's lease runs out", async () => {
    const { ran, def } = recorder("test.takeover");
    await t.db.sql.query(
      `INSERT INTO "JobWorker" (id, "startedAt", "lastSeenAt") VALUES ('crashed-1', now() - interval '10 minutes', now() - interval '5 minutes')`,
    );
    // Claimed by the crashed runner with a lease an hour long: only the takeover can free it.
    await t.db.sql.query(
      `INSERT INTO "Job" (id, queue, payload, state, attempts, "lockedUntil", "lockedBy") VALUES ('job-of-the-dead', 'test.takeover', '{"n": 1}', 'active', 1, now() + interval '1 hour', 'crashed-1')`,
    );
    const q = new DbJobQueue(t.db.sql, [def], { pollMs: 50, deadAfterSeconds: 30 });
    queues.push(q);
    await q.start();
    await until("the job to run on the new runner", async () => ran.length === 1);
    const row = await until(
      "the job to complete",
      async () => (await t.db.sql.query<any>(`SELECT state, attempts FROM "Job" WHERE id = 'job-of-the-dead' AND state = 'completed'`))[0],
    );
    expect(row).toEqual({ state: "completed", attempts: 2 });
  });

  it("leaves alone a job whose runner is alive", async () => {
    const { ran, def } = recorder("test.alive");
    await t.db.sql.query(`INSERT INTO "JobWorker" (id) VALUES ('alive-1')`);
    await t.db.sql.query(
      `INSERT INTO "Job" (id, queue, payload, state, attempts, "lockedUntil", "lockedBy") VALUES ('job-of-the-living', 'test.alive', '{"n": 1}', 'active', 1, now() + interval '1 hour', 'alive-1')`,
    );
    const q = new DbJobQueue(t.db.sql, [def], { pollMs: 50 });
    queues.push(q);
    await q.start();
    expect(await q.takeOver()).toBe(0);
    expect(ran).toEqual([]);
    expect((await t.db.sql.query<any>(`SELECT state, "lockedBy" FROM "Job" WHERE id = 'job-of-the-living'`))[0]).toEqual({
      state: "active",
      lockedBy: "alive-1",
    });
  });

  it("drains a full queue without waiting for the poll interval between jobs", async () => {
    const { ran, def } = recorder("test.drain");
    // An hour between polls: only claiming the next job as soon as a slot frees can finish 40 jobs.
    const q = new DbJobQueue(t.db.sql, [def], { pollMs: 3600_000, concurrency: 3 });
    queues.push(q);
    for (let n = 0; n < 40; n++) await q.send("test.drain", { n });
    await q.start();
    await until("all 40 jobs", async () => ran.length === 40);
    expect(new Set(ran).size).toBe(40);
  });
});

describe.skipIf(!TEST_DATABASE_URL)("pg-boss queue (PostgreSQL)", () => {
  let t: TestDb;
  const queues: PgBossJobQueue[] = [];
  beforeAll(async () => {
    t = await createTestDb("postgres");
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.stop();
  });
  afterAll(async () => t?.drop());

  it("a job fetched by a runner that died is run by a new runner within seconds, not after pg-boss's expiry", async () => {
    const { ran, def } = recorder("test.pgtakeover");
    const sender = new PgBossJobQueue(t.url!, [def], { sql: t.db.sql, work: false });
    queues.push(sender);
    const id = await sender.send("test.pgtakeover", { n: 7 });
    // The "crashed" instance: fetched the job (pg-boss state active, expiry an hour away), noted its
    // lease, and stopped heartbeating five minutes ago.
    const crashed = new PgBoss({ connectionString: t.url!, schema: "pgboss", supervise: false, schedule: false });
    await crashed.start();
    const [job] = await crashed.fetch("test.pgtakeover");
    expect(job?.id).toBe(id);
    await t.db.sql.query(`UPDATE pgboss.job SET expire_in = interval '1 hour' WHERE id = $1`, [id]);
    await t.db.sql.query(
      `INSERT INTO "JobWorker" (id, "startedAt", "lastSeenAt") VALUES ('pg-crashed', now() - interval '10 minutes', now() - interval '5 minutes')`,
    );
    await t.db.sql.query(
      `INSERT INTO "JobLease" ("jobId", queue, "workerId", "expireSeconds") VALUES ($1, 'test.pgtakeover', 'pg-crashed', 3600)`,
      [id],
    );
    await crashed.stop({ graceful: false, wait: true });
    const q = new PgBossJobQueue(t.url!, [def], { sql: t.db.sql, pollSeconds: 0.2 });
    queues.push(q);
    await q.start();
    await until("the job to run again", async () => ran.length === 1);
    const state = await until(
      "completed",
      async () => (await t.db.sql.query<any>(`SELECT state, retry_count FROM pgboss.job WHERE id = $1 AND state = 'completed'`, [id]))[0],
    );
    expect(state).toEqual({ state: "completed", retry_count: 1 });
  });

  it("drains a full queue without sleeping between batches, several jobs at once", async () => {
    let concurrent = 0;
    let most = 0;
    const ran: number[] = [];
    const def = defineJob({
      queue: "test.pgdrain",
      payload: z.object({ n: z.number() }),
      handler: async (p) => {
        concurrent++;
        most = Math.max(most, concurrent);
        // Holds its slot until four jobs run at once (or everything else has run).
        await until("company", async () => concurrent >= 4 || ran.length >= 36, { timeoutMs: 30_000 }).catch(() => undefined);
        ran.push(p.n);
        concurrent--;
      },
    });
    // An hour between polls: only fetching again as soon as a slot frees can finish 40 jobs.
    const q = new PgBossJobQueue(t.url!, [def], { sql: t.db.sql, pollSeconds: 3600, concurrency: 4 });
    queues.push(q);
    for (let n = 0; n < 40; n++) await q.send("test.pgdrain", { n });
    await q.start();
    await until("all 40 jobs", async () => ran.length === 40);
    expect(most).toBe(4);
  });
});
