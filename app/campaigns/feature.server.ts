import type { Feature } from "../jobs/feature";

/** The campaigns feature's jobs and hooks (see app/jobs/feature.ts). */
export const campaignsFeature: Feature = {
  name: "campaigns",
  jobs: [],
};
