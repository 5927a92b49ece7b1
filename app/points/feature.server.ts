import type { Feature } from "../jobs/feature";
import type { PointsDeps } from "./deps.server";
import { onOrderChangedPoints, onSyncCompletedPoints, pointsJobDefinitions, scheduleNextNudges } from "./jobs";

/** The points feature's jobs and hooks (see app/jobs/feature.ts and ADR 073). */
export function createPointsFeature(points: Pick<PointsDeps, "jobDeps">): Feature {
  const deps = () => points.jobDeps();
  return {
    name: "points",
    jobs: pointsJobDefinitions(deps),
    afterInstall: async (shop) => scheduleNextNudges(deps(), shop),
    onSyncCompleted: async (shop) => onSyncCompletedPoints(deps(), shop),
    onOrderChanged: async (e) => onOrderChangedPoints(deps(), e),
  };
}
