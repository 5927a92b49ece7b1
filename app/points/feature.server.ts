import type { Feature } from "../jobs/feature";
import { onOrderChangedPoints, onSyncCompletedPoints, pointsJobDefinitions, scheduleNextNudges, type PointsJobDeps } from "./jobs";

// Loaded lazily: the wiring imports db.server / shopify.server, which import the composition root.
async function deps(): Promise<PointsJobDeps> {
  const [{ database }, { jobQueue }, { adminClientForShop }, { nudgeDeps }] = await Promise.all([
    import("../db.server"),
    import("../jobs/worker.server"),
    import("../shopify/admin-client.server"),
    import("./deps.server"),
  ]);
  return { sql: database.sql, client: adminClientForShop, queue: jobQueue(), nudges: nudgeDeps };
}

/** The points feature's jobs and hooks (see app/jobs/feature.ts and ADR 073). */
export const pointsFeature: Feature = {
  name: "points",
  jobs: pointsJobDefinitions(deps),
  afterInstall: async (shop) => scheduleNextNudges(await deps(), shop),
  onSyncCompleted: async (shop) => onSyncCompletedPoints(await deps(), shop),
  onOrderChanged: async (e) => onOrderChangedPoints(await deps(), e),
};
