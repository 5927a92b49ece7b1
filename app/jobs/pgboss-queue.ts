import PgBoss from "pg-boss";
import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";
import {
  aliveWorker,
  DEFAULT_DEAD_AFTER_SECONDS,
  DEFAULT_HEARTBEAT_SECONDS,
  forgetOldWorkers,
  heartbeat,
  newWorkerId,
  unregister,
  type RunnerTiming,
} from "./instances";
import {
  attemptsAllowed,
  DEFAULT_EXPIRE_SECONDS,
  isPermanentJobError,
  parsePayload,
  retryDelayMs,
  runGiveUp,
  type JobContext,
  type JobDefinition,
  type JobQueue,
  type SendOptions,
} from "./queue";

const SCHEMA = "pgboss";

interface FetchedJob {
  id: string;
  name: string;
  data: unknown;
  retryCount: number;
  retryLimit: number;
}

export interface PgBossQueueOptions extends RunnerTiming {
  /** The app's database (the same PostgreSQL): the runner registry and job leases live there. */
  sql: Sql;
  /** false: only send (web-only instances). */
  work?: boolean;
  /** How long to wait before asking again when every queue was empty (default 2 s). */
  pollSeconds?: number;
  /** Jobs run at the same time by this instance (JOB_CONCURRENCY, default 4). */
  concurrency?: number;
  workerId?: string;
}

/**
 * pg-boss on PostgreSQL: many app instances share the queues; SKIP LOCKED fetches mean each job
 * runs on one worker, and "stately" queues keep one sync per shop however many workers there are.
 *
 * The runner is this class's own loop over pg-boss's fetch/complete/fail, not `boss.work()`
 * (docs/decisions/006): pg-boss 10's workers take a batch and then sleep the polling interval even
 * when more jobs are waiting, and know nothing of a dead instance's jobs. Here
 * - up to `concurrency` jobs run at once, and a free slot fetches the next job at once; the loop
 *   sleeps only when every queue was empty;
 * - each running job has a lease row ("JobLease": job, queue, runner); while the runner lives it
 *   renews its heartbeat ("JobWorker") and pushes its jobs' pg-boss expiry forward, so a queue's
 *   `expireInSeconds` can be short even for long jobs;
 * - at start and on every heartbeat, the jobs of runners not seen for `deadAfterSeconds` go back
 *   to pg-boss's retry state and are fetched again within seconds (pg-boss's own expiry is only
 *   the backstop).
 */
export class PgBossJobQueue implements JobQueue {
  private readonly boss: PgBoss;
  private started?: Promise<void>;
  private readonly defs: Map<string, JobDefinition>;
  private readonly sql: Sql;
  readonly workerId: string;
  private working = false;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private beat: NodeJS.Timeout | undefined;
  private ticking = false;
  private again = false;
  private nextQueue = 0;
  private idle: Array<() => void> = [];

  constructor(
    connectionString: string,
    definitions: JobDefinition[],
    private readonly opts: PgBossQueueOptions,
  ) {
    this.boss = new PgBoss({ connectionString, schema: SCHEMA });
    this.boss.on("error", (e) => console.error("[pg-boss]", e));
    this.defs = new Map(definitions.map((d) => [d.queue, d]));
    this.sql = opts.sql;
    this.workerId = opts.workerId ?? newWorkerId();
  }

  private ensureStarted() {
    this.started ??= (async () => {
      await this.boss.start();
      // Two instances starting at once on a new database deadlock inside pg-boss's createQueue
      // (40P01; test/jobs/two-instances.test.ts). One app-wide advisory lock, held by a transaction on
      // our own connection while pg-boss works on its pool, makes instances create queues one at a time.
      await this.sql.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext('winback:pgboss-queues'))`);
        for (const d of this.defs.values()) {
          const options = { name: d.queue, policy: d.singleton ? "stately" : "standard", expireInSeconds: expireOf(d) } as const;
          await this.boss.createQueue(d.queue, options);
          // createQueue leaves an existing queue as it was: bring its settings up to date.
          await this.boss.updateQueue(d.queue, options);
        }
      });
    })().catch((e: unknown) => {
      // A failed start is not remembered: the next start() or send() tries again instead of leaving
      // this instance without a queue for the rest of its life.
      this.started = undefined;
      throw e;
    });
    return this.started;
  }

  async send(queue: string, payload: unknown, opts: SendOptions = {}): Promise<string | null> {
    const def = this.defs.get(queue);
    if (!def) throw new AppError("INTERNAL", `Unknown job queue ${queue}`);
    await this.ensureStarted();
    const id = await this.boss.send(queue, (payload ?? {}) as object, {
      startAfter: opts.runAt,
      singletonKey: opts.singletonKey,
      retryLimit: (opts.maxAttempts ?? 5) - 1,
      retryBackoff: true,
      retryDelay: 1,
      expireInSeconds: expireOf(def),
    });
    if (id && (!opts.runAt || opts.runAt <= new Date())) this.kick();
    return id;
  }

  async start(): Promise<void> {
    await this.ensureStarted();
    if (this.opts.work === false) return;
    this.working = true;
    await heartbeat(this.sql, this.workerId);
    await this.takeOver();
    const every = (this.opts.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS) * 1000;
    const beat = async () => {
      if (!this.working) return;
      try {
        await this.renew();
        await this.takeOver();
      } catch (e) {
        console.error("[jobs] heartbeat failed", e);
      }
      if (this.working) this.beat = setTimeout(beat, every);
    };
    this.beat = setTimeout(beat, every);
    this.kick();
  }

  private get concurrency() {
    return this.opts.concurrency ?? 4;
  }

  private kick() {
    if (!this.working) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  private async tick() {
    if (!this.working) return;
    this.ticking = true;
    let empty = false;
    try {
      do {
        this.again = false;
        while (this.working && this.running < this.concurrency) {
          const jobs = await this.fetchSome(this.concurrency - this.running);
          if (!jobs.length) {
            empty = true;
            break;
          }
          empty = false;
          for (const job of jobs) this.launch(job);
        }
      } while (this.again && this.working && this.running < this.concurrency);
    } catch (e) {
      console.error("[jobs] fetch failed", e);
      empty = true;
    } finally {
      this.ticking = false;
    }
    if (!this.working) return;
    // Every queue empty: ask again after the polling interval (a send from this instance kicks
    // earlier). Slots full: a finishing job kicks; the timer is only a safety net.
    const ms = (this.opts.pollSeconds ?? 2) * 1000 * (empty ? 1 : 5);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  /** Up to `max` due jobs, from the queues in turn so one busy queue cannot starve the others. */
  private async fetchSome(max: number): Promise<FetchedJob[]> {
    const queues = [...this.defs.keys()];
    for (let i = 0; i < queues.length; i++) {
      const queue = queues[(this.nextQueue + i) % queues.length]!;
      const jobs = (await this.boss.fetch(queue, { batchSize: max, includeMetadata: true })) as unknown as FetchedJob[];
      if (jobs.length) {
        this.nextQueue = (this.nextQueue + i + 1) % queues.length;
        return jobs;
      }
    }
    return [];
  }

  private launch(job: FetchedJob) {
    this.running++;
    void this.execute(job)
      .catch((e) => console.error(`[jobs] ${job.name} ${job.id}: could not record the outcome`, e))
      .finally(() => {
        this.running--;
        if (this.running === 0) this.idle.splice(0).forEach((r) => r());
        this.kick();
      });
  }

  private async execute(job: FetchedJob) {
    const def = this.defs.get(job.name)!;
    await this.sql.query(
      `INSERT INTO "JobLease" ("jobId", queue, "workerId", "expireSeconds") VALUES ($1, $2, $3, $4)
       ON CONFLICT ("jobId") DO UPDATE SET "workerId" = excluded."workerId", "startedAt" = now()`,
      [job.id, job.name, this.workerId, expireOf(def)],
    );
    const ctx: JobContext = { jobId: job.id, attempt: job.retryCount + 1 };
    let payload: unknown = job.data;
    try {
      payload = parsePayload(def, job.data);
      await def.handler(payload, ctx);
      await this.boss.complete(job.name, job.id);
    } catch (err) {
      const permanent = isPermanentJobError(err);
      const giveUp = permanent || ctx.attempt >= attemptsAllowed(job.retryLimit + 1, err);
      const message = err instanceof Error ? err.message : String(err);
      if (giveUp) {
        // An unparseable payload would fail the same way every time: no retries left.
        if (permanent)
          await this.sql.query(`UPDATE ${SCHEMA}.job SET retry_limit = retry_count WHERE name = $1 AND id = $2`, [job.name, job.id]);
        await this.boss.fail(job.name, job.id, { message });
        console.error(`[jobs] ${job.name} ${job.id} failed permanently: ${message}`);
        await runGiveUp(def, payload, err, ctx);
      } else {
        // Back to pg-boss's retry state with the embedded queue's back-off (a THROTTLED error's
        // own hint wins). Set here rather than by boss.fail: throttling may go beyond retry_limit.
        await this.sql
          .query(
            `UPDATE ${SCHEMA}.job SET state = 'retry', start_after = now() + $3 * interval '1 millisecond', output = $4::jsonb
           WHERE name = $1 AND id = $2 AND state = 'active'`,
            [job.name, job.id, retryDelayMs(ctx.attempt, err), JSON.stringify({ message })],
          )
          .catch(async (e) => {
            // A stately queue holds one retrying job per key: then pg-boss's own failure path decides.
            if ((e as { code?: string }).code !== "23505") throw e;
            await this.boss.fail(job.name, job.id, { message });
          });
      }
    } finally {
      await this.sql.query(`DELETE FROM "JobLease" WHERE "jobId" = $1 AND "workerId" = $2`, [job.id, this.workerId]);
    }
  }

  /** This runner is alive; the pg-boss expiry of the jobs it runs moves forward. */
  private async renew() {
    await heartbeat(this.sql, this.workerId);
    await this.sql.query(
      `UPDATE ${SCHEMA}.job j SET expire_in = (now() - j.started_on) + l."expireSeconds" * interval '1 second'
       FROM "JobLease" l WHERE l."workerId" = $1 AND j.name = l.queue AND j.id = l."jobId"::uuid AND j.state = 'active'`,
      [this.workerId],
    );
  }

  /**
   * Jobs leased by runners not seen for deadAfterSeconds go back to pg-boss's retry state, due
   * now; pg-boss counts the next fetch as a retry. Returns how many were taken over.
   */
  async takeOver(): Promise<number> {
    const dead = await this.sql.query<{ jobId: string; queue: string }>(
      `DELETE FROM "JobLease" l WHERE l."workerId" <> $1 AND NOT ${aliveWorker(`l."workerId"`, "$2")} RETURNING "jobId", queue`,
      [this.workerId, this.opts.deadAfterSeconds ?? DEFAULT_DEAD_AFTER_SECONDS],
    );
    let taken = 0;
    for (const d of dead) {
      try {
        const r = await this.sql.query(
          `UPDATE ${SCHEMA}.job SET state = 'retry', start_after = now() WHERE name = $1 AND id = $2::uuid AND state = 'active' RETURNING id`,
          [d.queue, d.jobId],
        );
        taken += r.length;
      } catch (e) {
        // A stately queue holds one retrying job per key: one is already waiting, this one goes.
        if ((e as { code?: string }).code !== "23505") throw e;
        await this.sql.query(
          `UPDATE ${SCHEMA}.job SET state = 'failed', completed_on = now() WHERE name = $1 AND id = $2::uuid AND state = 'active'`,
          [d.queue, d.jobId],
        );
      }
    }
    if (taken) {
      console.warn(`[jobs] took over ${taken} job(s) of a runner that stopped without finishing them`);
      this.kick();
    }
    await forgetOldWorkers(this.sql);
    return taken;
  }

  /** Resolves when no job is running on this instance. */
  async drain(): Promise<void> {
    if (this.running === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }

  async stop(): Promise<void> {
    this.working = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.beat) clearTimeout(this.beat);
    await this.drain();
    if (this.started) {
      await this.boss.stop({ graceful: true, wait: true });
      await unregister(this.sql, this.workerId).catch(() => undefined);
    }
  }
}

const expireOf = (d: JobDefinition) => d.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS;
