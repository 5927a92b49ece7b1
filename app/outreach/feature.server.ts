import type { Feature } from "../jobs/feature";

/** The outreach feature's jobs and hooks (see app/jobs/feature.ts). */
export const outreachFeature: Feature = {
  name: "outreach",
  jobs: [],
};
