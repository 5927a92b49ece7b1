import { z } from "zod";
import type { Sql } from "../db/sql";
import type { JobQueue } from "../jobs/queue";
import { parseOrThrow } from "../lib/parse";
import { saveSettingsSection } from "../shop-settings.server";
import { POINTS_JOBS, scheduleNextNudges } from "./jobs";
import { loadPointsSettings } from "./store";
import type { PointsProgram } from "./settings";

export interface TurnDeps {
  sql: Sql;
  queue: Pick<JobQueue, "send">;
  now: () => Date;
}

const TurnOnInput = z.object({
  /** true: orders placed before today earn points too (retroactive); false: only orders from now on. */
  pastOrders: z.boolean(),
});

/**
 * The merchant turns points on (ADR 079). Earning starts now, or counts past orders too when the
 * merchant chose so; the ledger is rebuilt in the background and the storefront values written,
 * and the daily reminder run is scheduled. Nothing of this happens before: a fresh install has no
 * points program at all.
 */
export async function turnPointsOn(deps: TurnDeps, shop: string, raw: z.input<typeof TurnOnInput>): Promise<PointsProgram> {
  const input = parseOrThrow(TurnOnInput, raw, "turn points on");
  const now = deps.now();
  const current = await loadPointsSettings(deps.sql, shop);
  const program: PointsProgram = { enabled: true, earnFrom: input.pastOrders ? null : now.toISOString(), changedAt: now.toISOString() };
  await saveSettingsSection(deps.sql, shop, "points", { ...current, program });
  // Its own key: a plain sync already queued must not swallow the rebuild with the new start.
  await deps.queue.send(
    POINTS_JOBS.sync,
    { shop, rebuild: true },
    { singletonKey: `${POINTS_JOBS.sync}:${shop}:program:${program.changedAt}` },
  );
  await scheduleNextNudges({ sql: deps.sql, queue: deps.queue, now: deps.now, client: notUsed, nudges: notUsed }, shop);
  return program;
}

/**
 * The merchant turns points off: reminders stop at once (every job checks), the proxy serves no
 * points, and a background sync deletes the storefront values the banner reads. The ledger stays,
 * so turning points on again starts from the orders, not from zero.
 */
export async function turnPointsOff(deps: TurnDeps, shop: string): Promise<PointsProgram> {
  const now = deps.now();
  const current = await loadPointsSettings(deps.sql, shop);
  const program: PointsProgram = { ...current.program, enabled: false, changedAt: now.toISOString() };
  await saveSettingsSection(deps.sql, shop, "points", { ...current, program });
  await deps.queue.send(POINTS_JOBS.sync, { shop }, { singletonKey: `${POINTS_JOBS.sync}:${shop}:program:${program.changedAt}` });
  return program;
}

/** scheduleNextNudges reads only the database, the queue and the clock. */
const notUsed = (): never => {
  throw new Error("not used when scheduling");
};
