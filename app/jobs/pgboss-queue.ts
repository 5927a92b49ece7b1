import PgBoss from "pg-boss";
import { AppError } from "../lib/errors";
import { parsePayload, type JobDefinition, type JobQueue, type SendOptions } from "./queue";

/**
 * pg-boss on PostgreSQL: many app instances share the queues; SKIP LOCKED fetches mean each job
 * runs on one worker, and "stately" queues keep one sync per shop however many workers there are.
 */
export class PgBossJobQueue implements JobQueue {
  private readonly boss: PgBoss;
  private started?: Promise<void>;
  private readonly defs: Map<string, JobDefinition>;

  constructor(connectionString: string, definitions: JobDefinition[], private readonly opts: { work?: boolean; pollSeconds?: number } = {}) {
    this.boss = new PgBoss({ connectionString, schema: "pgboss" });
    this.boss.on("error", (e) => console.error("[pg-boss]", e));
    this.defs = new Map(definitions.map((d) => [d.queue, d]));
  }

  private ensureStarted() {
    this.started ??= (async () => {
      await this.boss.start();
      for (const d of this.defs.values()) {
        await this.boss.createQueue(d.queue, { name: d.queue, policy: d.singleton ? "stately" : "standard" });
      }
    })();
    return this.started;
  }

  async send(queue: string, payload: unknown, opts: SendOptions = {}): Promise<string | null> {
    if (!this.defs.has(queue)) throw new AppError("INTERNAL", `Unknown job queue ${queue}`);
    await this.ensureStarted();
    return this.boss.send(queue, (payload ?? {}) as object, {
      startAfter: opts.runAt,
      singletonKey: opts.singletonKey,
      retryLimit: (opts.maxAttempts ?? 5) - 1,
      retryBackoff: true,
      retryDelay: 1,
    });
  }

  async start(): Promise<void> {
    await this.ensureStarted();
    if (this.opts.work === false) return;
    for (const def of this.defs.values()) {
      await this.boss.work(def.queue, { pollingIntervalSeconds: this.opts.pollSeconds ?? 2, includeMetadata: true }, async (jobs) => {
        for (const job of jobs) {
          // pg-boss retries on throw; an unparseable payload would fail the same way every time.
          const payload = parsePayload(def, job.data);
          await def.handler(payload, { jobId: job.id, attempt: job.retryCount + 1 });
        }
      });
    }
  }

  async stop(): Promise<void> {
    if (this.started) await this.boss.stop({ graceful: true, wait: true });
  }
}
