import type { Feature } from "../jobs/feature";
import { campaignJobDefinitions } from "./jobs";

// Lazy: the worker composition root imports this file, and the wiring imports the root back.
const deps = async () => (await import("./wiring.server")).campaignDeps();

/** The campaigns feature's jobs and hooks (see app/jobs/feature.ts). */
export const campaignsFeature: Feature = {
  name: "campaigns",
  jobs: campaignJobDefinitions(deps),
  // An order inside a campaign window reactivates the member and ends its touches.
  onOrderChanged: async (event) => {
    const { onOrderChanged } = await import("./touch");
    await onOrderChanged(await deps(), event);
  },
  onSyncCompleted: async (shop) => {
    const { reconcileReactivations } = await import("./touch");
    await reconcileReactivations(await deps(), shop);
  },
};
