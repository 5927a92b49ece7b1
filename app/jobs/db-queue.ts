import { randomUUID } from "node:crypto";
import type { Sql } from "../db/sql";
import {
  attemptsAllowed,
  DEFAULT_EXPIRE_SECONDS,
  isPermanentJobError,
  parsePayload,
  retryDelayMs,
  runGiveUp,
  type JobDefinition,
  type JobQueue,
  type SendOptions,
} from "./queue";
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

interface JobRow {
  id: string;
  queue: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
}

/**
 * In-process runner over the "Job" table of the embedded database. Jobs survive a restart: a
 * claimed job carries its runner ("lockedBy") and a short lease the runner renews while it lives;
 * a job of a runner that is gone (docs/decisions/006) or whose lease ran out is claimed again.
 * While jobs are due the runner claims the next one as soon as a slot is free; it sleeps
 * `pollMs` only when nothing is due.
 */
export class DbJobQueue implements JobQueue {
  private timer: NodeJS.Timeout | undefined;
  private beat: NodeJS.Timeout | undefined;
  private defs = new Map<string, JobDefinition>();
  private running = 0;
  private stopped = true;
  private ticking = false;
  private again = false;
  private idle: Array<() => void> = [];
  readonly workerId: string;

  constructor(
    private readonly sql: Sql,
    definitions: JobDefinition[],
    private readonly opts: { pollMs?: number; concurrency?: number; now?: () => Date; workerId?: string } & RunnerTiming = {},
  ) {
    for (const d of definitions) this.defs.set(d.queue, d);
    this.workerId = opts.workerId ?? newWorkerId();
  }

  private now() {
    return this.opts.now?.() ?? new Date();
  }

  private leaseMs(queue: string) {
    return (this.defs.get(queue)?.expireInSeconds ?? DEFAULT_EXPIRE_SECONDS) * 1000;
  }

  async send(queue: string, payload: unknown, opts: SendOptions = {}): Promise<string | null> {
    const id = await this.sql.transaction(async (tx) => {
      if (opts.singletonKey) {
        // Serialise senders of the same key so two requests cannot both enqueue.
        await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`${queue}:${opts.singletonKey}`]);
        const existing = await tx.query<{ id: string }>(
          `SELECT id FROM "Job" WHERE queue = $1 AND "singletonKey" = $2 AND state IN ('created', 'active') LIMIT 1`,
          [queue, opts.singletonKey],
        );
        if (existing.length) return null;
      }
      const id = randomUUID();
      await tx.query(`INSERT INTO "Job" (id, queue, payload, "singletonKey", "runAt", "maxAttempts") VALUES ($1, $2, $3, $4, $5, $6)`, [
        id,
        queue,
        JSON.stringify(payload ?? null),
        opts.singletonKey ?? null,
        opts.runAt ?? this.now(),
        opts.maxAttempts ?? 5,
      ]);
      return id;
    });
    // A job due now is picked up now, not at the next poll.
    if (id && !this.stopped && (!opts.runAt || opts.runAt <= this.now())) this.kick();
    return id;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await heartbeat(this.sql, this.workerId);
    await this.takeOver();
    const every = (this.opts.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS) * 1000;
    const beat = async () => {
      if (this.stopped) return;
      try {
        await this.renew();
        await this.takeOver();
      } catch (e) {
        console.error("[jobs] heartbeat failed", e);
      }
      if (!this.stopped) this.beat = setTimeout(beat, every);
    };
    this.beat = setTimeout(beat, every);
    this.kick();
  }

  /** Runs the claim loop now (a job was sent, a slot came free) instead of at the next poll. */
  private kick() {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  private async tick() {
    if (this.stopped) return;
    this.ticking = true;
    let claimed = false;
    try {
      do {
        this.again = false;
        while (!this.stopped && this.running < (this.opts.concurrency ?? 2) && (await this.runOne())) claimed = true;
      } while (this.again && !this.stopped && this.running < (this.opts.concurrency ?? 2));
    } catch (e) {
      console.error("[jobs] poll failed", e);
    } finally {
      this.ticking = false;
    }
    // Slots full: a finishing job kicks the loop. Otherwise nothing was due: poll later.
    if (!this.stopped)
      this.timer = setTimeout(
        () => void this.tick(),
        claimed && this.running >= (this.opts.concurrency ?? 2) ? (this.opts.pollMs ?? 500) * 4 : (this.opts.pollMs ?? 500),
      );
  }

  /** This runner is alive; its running jobs' leases move forward. */
  private async renew() {
    await heartbeat(this.sql, this.workerId);
    const now = this.now();
    for (const queue of new Set(this.defs.keys())) {
      await this.sql.query(`UPDATE "Job" SET "lockedUntil" = $3 WHERE "lockedBy" = $1 AND queue = $2 AND state = 'active'`, [
        this.workerId,
        queue,
        new Date(now.getTime() + this.leaseMs(queue)),
      ]);
    }
  }

  /** Jobs held by a runner that is gone (not seen for deadAfterSeconds) are free to claim again. */
  async takeOver(): Promise<number> {
    const rows = await this.sql.query(
      `UPDATE "Job" SET state = 'created', "lockedUntil" = NULL, "lockedBy" = NULL
       WHERE state = 'active' AND "lockedBy" IS NOT NULL AND "lockedBy" <> $1 AND NOT ${aliveWorker(`"Job"."lockedBy"`, "$2")}
       RETURNING id`,
      [this.workerId, this.opts.deadAfterSeconds ?? DEFAULT_DEAD_AFTER_SECONDS],
    );
    if (rows.length) {
      console.warn(`[jobs] took over ${rows.length} job(s) of a runner that stopped without finishing them`);
      this.kick();
    }
    await forgetOldWorkers(this.sql);
    return rows.length;
  }

  /** Claims one due job and runs it in the background; false when nothing is due. */
  async runOne(): Promise<boolean> {
    const queues = [...this.defs.keys()];
    if (!queues.length) return false;
    const now = this.now();
    const rows = await this.sql.query<JobRow>(
      `UPDATE "Job" SET state = 'active', attempts = attempts + 1, "lockedBy" = $4,
         "lockedUntil" = $3::timestamp + (CASE queue ${queues.map((q, i) => `WHEN $${i + 5} THEN ${this.leaseMs(q)}`).join(" ")} ELSE ${DEFAULT_EXPIRE_SECONDS * 1000} END) * interval '1 millisecond'
       WHERE id = (
         SELECT id FROM "Job"
         WHERE queue = ANY($1) AND "runAt" <= $2
           AND (state = 'created' OR (state = 'active' AND "lockedUntil" < $2))
         ORDER BY "runAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, queue, payload, attempts, "maxAttempts"`,
      [queues, now, now, this.workerId, ...queues],
    );
    const job = rows[0];
    if (!job) return false;
    this.running++;
    void this.execute(job).finally(() => {
      this.running--;
      if (this.running === 0) this.idle.splice(0).forEach((r) => r());
      this.kick();
    });
    return true;
  }

  private async execute(job: JobRow) {
    const def = this.defs.get(job.queue)!;
    const ctx = { jobId: job.id, attempt: job.attempts };
    let payload: unknown = job.payload;
    try {
      payload = parsePayload(def, job.payload);
      await def.handler(payload, ctx);
      await this.sql.query(
        `UPDATE "Job" SET state = 'completed', "completedAt" = $2, "lockedUntil" = NULL, "lockedBy" = NULL WHERE id = $1`,
        [job.id, this.now()],
      );
    } catch (err) {
      const giveUp = isPermanentJobError(err) || job.attempts >= attemptsAllowed(job.maxAttempts, err);
      const msg = err instanceof Error ? err.message : String(err);
      await this.sql.query(
        `UPDATE "Job" SET state = $2, "lastError" = $3, "runAt" = $4, "lockedUntil" = NULL, "lockedBy" = NULL WHERE id = $1`,
        [job.id, giveUp ? "failed" : "created", msg, new Date(this.now().getTime() + retryDelayMs(job.attempts, err))],
      );
      if (giveUp) {
        console.error(`[jobs] ${job.queue} ${job.id} failed permanently: ${msg}`);
        await runGiveUp(def, payload, err, ctx);
      }
    }
  }

  /** Resolves when no job is running (tests and graceful shutdown). */
  async drain(): Promise<void> {
    if (this.running === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.beat) clearTimeout(this.beat);
    await this.drain();
    await unregister(this.sql, this.workerId).catch(() => undefined);
  }
}
