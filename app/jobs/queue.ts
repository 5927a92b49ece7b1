import type { z } from "zod";
import { AppError } from "../lib/errors";

/**
 * The app's job queue, behind one small interface so the same use cases run on the embedded
 * database (in-process runner) and on PostgreSQL (pg-boss, shared by many app instances).
 */
export interface SendOptions {
  /** Not before this time (scheduled touches, nudges, escalations). */
  runAt?: Date;
  /** At most one queued-or-running job per key: a shop's sync runs once even with many workers. */
  singletonKey?: string;
  maxAttempts?: number;
}

export interface JobContext {
  jobId: string;
  attempt: number;
}

export interface JobDefinition<S extends z.ZodTypeAny = z.ZodTypeAny> {
  queue: string;
  /** At most one queued and one running job per singletonKey (pg-boss "stately" policy). */
  singleton?: boolean;
  payload: S;
  handler: (payload: z.infer<S>, ctx: JobContext) => Promise<void>;
  /**
   * How long one attempt may hold the job without its runner renewing it (default 120 s). The
   * runner renews the jobs it runs every few seconds while it lives, so a long job (a sync's
   * ingestion) is not cut off; a crashed runner's job is free again this long after its last
   * renewal at the latest (the takeover sweep is usually faster: docs/decisions/006).
   */
  expireInSeconds?: number;
  /**
   * Called once when the job fails for good (attempts exhausted or a permanent error), so the
   * work it stood for is marked failed instead of waiting forever (a sync run). Errors are logged.
   */
  onGiveUp?: (payload: z.infer<S>, err: unknown, ctx: JobContext) => Promise<void>;
}

export const DEFAULT_EXPIRE_SECONDS = 120;

/** A job error that no retry can fix: the payload itself is invalid. */
export const isPermanentJobError = (err: unknown) => err instanceof AppError && err.code === "INVALID_INPUT";

/**
 * Attempts a job gets before it fails for good. Throttling is Shopify asking to wait, not a fault:
 * it gets four times the attempts (each waiting what Shopify's retry hint says).
 */
export function attemptsAllowed(maxAttempts: number, err: unknown): number {
  return err instanceof AppError && err.code === "THROTTLED" ? maxAttempts * 4 : maxAttempts;
}

/** Runs a definition's give-up hook; its own failure is logged, never thrown over the job's error. */
export async function runGiveUp(def: JobDefinition, payload: unknown, err: unknown, ctx: JobContext) {
  if (!def.onGiveUp) return;
  try {
    await def.onGiveUp(payload, err, ctx);
  } catch (e) {
    console.error(`[jobs] ${def.queue} ${ctx.jobId}: give-up hook failed`, e);
  }
}

export interface JobQueue {
  send(queue: string, payload: unknown, opts?: SendOptions): Promise<string | null>;
  /** Starts working the queues the queue was created with. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function defineJob<S extends z.ZodTypeAny>(def: JobDefinition<S>): JobDefinition {
  return def as unknown as JobDefinition;
}

/** Job payloads are a boundary like any other: parse before running. */
export function parsePayload(def: JobDefinition, raw: unknown) {
  const r = def.payload.safeParse(raw);
  if (!r.success) {
    throw new AppError(
      "INVALID_INPUT",
      `Job ${def.queue}: invalid payload: ${r.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );
  }
  return r.data;
}

/** Exponential back-off for retries, capped; a THROTTLED error's own retry hint wins. */
export function retryDelayMs(attempt: number, err: unknown): number {
  if (err instanceof AppError && err.retryAfterMs) return err.retryAfterMs;
  return Math.min(60_000, 1000 * 2 ** Math.max(0, attempt - 1));
}
