import { z } from "zod";
import { runForShop } from "../db/shop-scope";
import { AppError } from "../lib/errors";
import type { JobDefinition } from "./queue";

/**
 * Row-level security for jobs (docs/decisions/098-scoped-requests-and-jobs.md): every job acts for
 * the one shop its payload names, so its handler (and its give-up hook) runs inside
 * runForShop(payload.shop): every query through the app's request-scoped Sql sees that shop's rows
 * only, as a webhook handler or an admin page does. The queue's own bookkeeping (claim, complete,
 * retry) runs outside the handler's async context and stays the system's.
 *
 * A definition stays unscoped only when the composition root names it with a reason: work that
 * spans shops (a scheduler fanning out over shops) or that PostgreSQL refuses to a role under
 * row-level security (COPY into a shop table, ANALYZE of a table the role does not own).
 */
export function confineJobs(definitions: JobDefinition[], system: ReadonlyMap<string, string>): JobDefinition[] {
  const queues = new Set(definitions.map((d) => d.queue));
  for (const [queue, why] of system) {
    if (!queues.has(queue)) throw new AppError("CONFIG", `System job ${queue} is not a defined job queue`);
    if (!why.trim()) throw new AppError("CONFIG", `System job ${queue} needs a reason to run unscoped`);
  }
  return definitions.map((def) => (system.has(def.queue) ? def : confineJob(def)));
}

/** The definition with its handler and give-up hook confined to the payload's shop. */
export function confineJob(def: JobDefinition): JobDefinition {
  // Checked when the app is composed, not when the first job runs: a definition whose payload
  // cannot name a shop must be declared system work (or given a shop).
  if (!(def.payload instanceof z.ZodObject) || !("shop" in def.payload.shape)) {
    throw new AppError("CONFIG", `Job ${def.queue}: its payload has no shop, so it cannot run confined to one; declare it system work`);
  }
  const onGiveUp = def.onGiveUp;
  return {
    ...def,
    handler: async (payload, ctx) => runForShop(shopOf(def.queue, payload), () => def.handler(payload, ctx)),
    ...(onGiveUp
      ? { onGiveUp: async (payload, err, ctx) => runForShop(shopOf(def.queue, payload), () => onGiveUp(payload, err, ctx)) }
      : {}),
  };
}

function shopOf(queue: string, payload: unknown): string {
  const shop = (payload as { shop?: unknown } | null)?.shop;
  if (typeof shop !== "string" || shop === "") throw new AppError("INVALID_INPUT", `Job ${queue}: the payload names no shop`);
  return shop;
}
