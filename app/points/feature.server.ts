import type { Feature } from "../jobs/feature";

/** The points feature's jobs and hooks (see app/jobs/feature.ts). */
export const pointsFeature: Feature = {
  name: "points",
  jobs: [],
};
