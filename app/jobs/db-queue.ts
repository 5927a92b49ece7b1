import { randomUUID } from "node:crypto";
import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";
import { parsePayload, retryDelayMs, type JobDefinition, type JobQueue, type SendOptions } from "./queue";

interface JobRow {
  id: string;
  queue: string;
  payload: unknown;
  attempts: number;
  maxAttempts: number;
}

/**
 * In-process runner over the "Job" table of the embedded database. Jobs survive a restart: a job
 * that was running when the process died has an expired lease and is picked up again.
 */
export class DbJobQueue implements JobQueue {
  private timer: NodeJS.Timeout | undefined;
  private defs = new Map<string, JobDefinition>();
  private running = 0;
  private stopped = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly sql: Sql,
    definitions: JobDefinition[],
    private readonly opts: { pollMs?: number; leaseMs?: number; concurrency?: number; now?: () => Date } = {},
  ) {
    for (const d of definitions) this.defs.set(d.queue, d);
  }

  private now() {
    return this.opts.now?.() ?? new Date();
  }

  async send(queue: string, payload: unknown, opts: SendOptions = {}): Promise<string | null> {
    return this.sql.transaction(async (tx) => {
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
      await tx.query(
        `INSERT INTO "Job" (id, queue, payload, "singletonKey", "runAt", "maxAttempts") VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, queue, JSON.stringify(payload ?? null), opts.singletonKey ?? null, opts.runAt ?? this.now(), opts.maxAttempts ?? 5],
      );
      return id;
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      try {
        while (!this.stopped && this.running < (this.opts.concurrency ?? 2) && (await this.runOne())) {
          /* keep draining */
        }
      } catch (e) {
        console.error("[jobs] poll failed", e);
      }
      if (!this.stopped) this.timer = setTimeout(tick, this.opts.pollMs ?? 500);
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Claims one due job and runs it in the background; false when nothing is due. */
  async runOne(): Promise<boolean> {
    const queues = [...this.defs.keys()];
    if (!queues.length) return false;
    const now = this.now();
    const lease = new Date(now.getTime() + (this.opts.leaseMs ?? 10 * 60_000));
    const rows = await this.sql.query<JobRow>(
      `UPDATE "Job" SET state = 'active', attempts = attempts + 1, "lockedUntil" = $2
       WHERE id = (
         SELECT id FROM "Job"
         WHERE queue = ANY($1) AND "runAt" <= $3
           AND (state = 'created' OR (state = 'active' AND "lockedUntil" < $3))
         ORDER BY "runAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id, queue, payload, attempts, "maxAttempts"`,
      [queues, lease, now],
    );
    const job = rows[0];
    if (!job) return false;
    this.running++;
    void this.execute(job).finally(() => {
      this.running--;
      if (this.running === 0) this.idle.splice(0).forEach((r) => r());
    });
    return true;
  }

  private async execute(job: JobRow) {
    const def = this.defs.get(job.queue)!;
    try {
      const payload = parsePayload(def, job.payload);
      await def.handler(payload, { jobId: job.id, attempt: job.attempts });
      await this.sql.query(`UPDATE "Job" SET state = 'completed', "completedAt" = $2, "lockedUntil" = NULL WHERE id = $1`, [job.id, this.now()]);
    } catch (err) {
      const permanent = err instanceof AppError && err.code === "INVALID_INPUT";
      const give_up = permanent || job.attempts >= job.maxAttempts;
      const msg = err instanceof Error ? err.message : String(err);
      await this.sql.query(
        `UPDATE "Job" SET state = $2, "lastError" = $3, "runAt" = $4, "lockedUntil" = NULL WHERE id = $1`,
        [job.id, give_up ? "failed" : "created", msg, new Date(this.now().getTime() + retryDelayMs(job.attempts, err))],
      );
      if (give_up) console.error(`[jobs] ${job.queue} ${job.id} failed permanently: ${msg}`);
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
    await this.drain();
  }
}
