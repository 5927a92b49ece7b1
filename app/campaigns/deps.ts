import type { Sql } from "../db/sql";
import type { CampaignSettings } from "../domain/campaigns";
import type { JobQueue } from "../jobs/queue";
import type { CampaignMessageCounts, FlowTriggers, Messenger } from "../messaging/types";
import type { AdminClient } from "../shopify/graphql-client";

/** What the outreach feature gives a campaign: VIP tasks at launch, and each VIP's perk/concierge for the note. */
export interface OutreachPort {
  createTasks(
    sql: Sql,
    input: { shop: string; campaignId: string; launchAt: Date; settings: CampaignSettings; customerIds: string[] },
  ): Promise<unknown>;
  /** Schedules the escalation check for a launch's tasks (follow-up + grace after launch). */
  scheduleEscalation(queue: Pick<JobQueue, "send">, shop: string, launchAt: Date, settings: CampaignSettings): Promise<unknown>;
  taskFor(sql: Sql, shop: string, campaignId: string, customerId: string): Promise<VipOutreach | null>;
  /** The concierge recorded contact or a reply for this VIP: the automated VIP emails stop. */
  hasConciergeContact(sql: Sql, shop: string, campaignId: string, customerId: string): Promise<boolean>;
}

export interface VipOutreach {
  perk: string;
  conciergeName: string;
  conciergeRole?: string | null;
  script?: string | null;
}

/**
 * Everything a campaign use case touches, passed in so tests substitute an emulator client, a
 * recording messenger and a fixed clock. Production wiring: app/campaigns/feature.ts (kept apart from it: the use cases import these types, and feature.ts imports the use cases).
 */
export interface CampaignDeps {
  sql: Sql;
  client: (shop: string) => Promise<AdminClient>;
  queue: Pick<JobQueue, "send">;
  messenger: Messenger;
  flow: FlowTriggers;
  messageCounts: (sql: Sql, campaignId: string) => Promise<CampaignMessageCounts>;
  outreach: OutreachPort;
  now: () => Date;
  /** The app's API key: the Marketing reports link back to the campaign at /admin/apps/<key>/… (ADR 092). */
  apiKey?: string;
  sleep?: (ms: number) => Promise<void>;
  /** For the staged upload of bulk tagging (multipart POST to Shopify's storage). */
  fetch?: typeof fetch;
  /** Above this many treated customers, tagging runs as one bulk mutation instead of tagsAdd calls. */
  bulkTagThreshold?: number;
  /** How long one launch attempt waits for the bulk mutation before handing back to the queue. */
  bulkWaitMs?: number;
  bulkPollMs?: number;
}

export const DEFAULT_BULK_TAG_THRESHOLD = 250;
