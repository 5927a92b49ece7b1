import type { Feature } from "../jobs/feature";

/** The analysis feature's jobs and hooks (see app/jobs/feature.ts). */
export const analysisFeature: Feature = {
  name: "analysis",
  jobs: [],
};
