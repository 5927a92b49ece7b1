import type { Feature } from "../jobs/feature";
import type { CampaignDeps } from "./deps";
import { campaignJobDefinitions } from "./jobs";
import { onOrderChanged, reconcileReactivations } from "./touch";

/** The campaigns feature's jobs and hooks (see app/jobs/feature.ts). */
export function createCampaignsFeature(deps: () => Promise<CampaignDeps>): Feature {
  return {
    name: "campaigns",
    jobs: campaignJobDefinitions(deps),
    // An order inside a campaign window reactivates the member and ends its touches.
    onOrderChanged: async (event) => void (await onOrderChanged(await deps(), event)),
    onSyncCompleted: async (shop) => void (await reconcileReactivations(await deps(), shop)),
  };
}
