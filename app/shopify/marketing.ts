import { z } from "zod";
import { CUSTOMER_EMAIL_CONSENT_UPDATE, MARKETING_ACTIVITY_UPSERT_EXTERNAL, MARKETING_ENGAGEMENT_CREATE } from "./documents/marketing";
import type { AdminClient } from "./graphql-client";
import { outcome, parseResponse, UserErrorListSchema, type Outcome } from "./response";

/** Marketing consent (customerEmailMarketingConsentUpdate). */
export interface EmailConsentUpdate {
  /** Customer gid. */
  customerId: string;
  marketingState: "SUBSCRIBED" | "UNSUBSCRIBED" | "PENDING";
  /** Required by Shopify (MISSING_ARGUMENT without it). */
  marketingOptInLevel: "SINGLE_OPT_IN" | "CONFIRMED_OPT_IN" | "UNKNOWN";
  /** ISO time the customer decided; Shopify refuses one in the future (INVALID). */
  consentUpdatedAt: string;
}

const ConsentResponse = z.object({
  customerEmailMarketingConsentUpdate: z.object({
    customer: z
      .object({
        id: z.string(),
        defaultEmailAddress: z.object({ emailAddress: z.string().nullish(), marketingState: z.string().nullish() }).nullish(),
      })
      .nullish(),
    userErrors: UserErrorListSchema,
  }),
});

export interface ConsentResult {
  customerId: string;
  /** The state Shopify now holds, null when the customer has no email address. */
  marketingState: string | null;
}

export async function updateEmailMarketingConsent(client: AdminClient, input: EmailConsentUpdate): Promise<Outcome<ConsentResult>> {
  const { customerId, ...emailMarketingConsent } = input;
  const data = parseResponse(
    ConsentResponse,
    await client.request(CUSTOMER_EMAIL_CONSENT_UPDATE, { input: { customerId, emailMarketingConsent } }),
    "customerEmailMarketingConsentUpdate",
  );
  const p = data.customerEmailMarketingConsentUpdate;
  const customer = p.customer
    ? { customerId: p.customer.id, marketingState: p.customer.defaultEmailAddress?.marketingState ?? null }
    : null;
  return outcome(customer, p.userErrors, "customerEmailMarketingConsentUpdate");
}

/** The activity as Shopify's Marketing reports show it (MarketingActivityUpsertExternalInput). */
export interface ExternalActivityInput {
  /** Ours, stable across retries: the upsert key. */
  remoteId: string;
  title: string;
  /** Where the merchant manages it: http(s) only (Shopify refuses other schemes). */
  remoteUrl: string;
  status: "ACTIVE" | "PAUSED" | "INACTIVE" | "SCHEDULED";
  /** Fixed at creation: Shopify refuses to change UTM parameters afterwards. */
  utm: { campaign: string; source: string; medium: string };
  start?: string | null;
  scheduledEnd?: string | null;
  end?: string | null;
}

const UpsertResponse = z.object({
  marketingActivityUpsertExternal: z.object({
    marketingActivity: z
      .object({
        id: z.string(),
        title: z.string().nullish(),
        status: z.string().nullish(),
        marketingEvent: z.object({ id: z.string(), remoteId: z.string().nullish() }).nullish(),
      })
      .nullish(),
    userErrors: UserErrorListSchema,
  }),
});

/** Creates or updates (by remoteId) the campaign's external marketing activity. */
export async function upsertExternalActivity(
  client: AdminClient,
  input: ExternalActivityInput,
): Promise<Outcome<{ activityId: string; status: string | null }>> {
  const { start, scheduledEnd, end, ...rest } = input;
  const data = parseResponse(
    UpsertResponse,
    await client.request(MARKETING_ACTIVITY_UPSERT_EXTERNAL, {
      input: {
        ...rest,
        // Win-back messages are email newsletters in Shopify's vocabulary (the recorded EMAIL/NEWSLETTER pair).
        marketingChannelType: "EMAIL",
        tactic: "NEWSLETTER",
        ...(start ? { start } : {}),
        ...(scheduledEnd ? { scheduledEnd } : {}),
        ...(end ? { end } : {}),
      },
    }),
    "marketingActivityUpsertExternal",
  );
  const p = data.marketingActivityUpsertExternal;
  return outcome(
    p.marketingActivity ? { activityId: p.marketingActivity.id, status: p.marketingActivity.status ?? null } : null,
    p.userErrors,
    "marketingActivityUpsertExternal",
  );
}

/** One day's cumulative engagement of an activity (MarketingEngagementInput). */
export interface EngagementInput {
  /** YYYY-MM-DD in the offset below. */
  occurredOn: string;
  utcOffset: string;
  sendsCount: number;
  clicksCount?: number;
  uniqueClicksCount?: number;
  unsubscribesCount: number;
  complaintsCount: number;
  /** Orders attributed to the activity (Decimal). */
  orders: number;
  sales: { amount: string; currencyCode: string } | null;
}

const EngagementResponse = z.object({
  marketingEngagementCreate: z.object({
    marketingEngagement: z.object({ occurredOn: z.string() }).passthrough().nullish(),
    userErrors: UserErrorListSchema,
  }),
});

export async function createEngagement(
  client: AdminClient,
  remoteId: string,
  e: EngagementInput,
): Promise<Outcome<{ occurredOn: string }>> {
  const { sales, orders, ...counts } = e;
  const data = parseResponse(
    EngagementResponse,
    await client.request(MARKETING_ENGAGEMENT_CREATE, {
      remoteId,
      engagement: { ...counts, isCumulative: true, orders: String(orders), ...(sales ? { sales } : {}) },
    }),
    "marketingEngagementCreate",
  );
  const p = data.marketingEngagementCreate;
  return outcome(
    p.marketingEngagement ? { occurredOn: p.marketingEngagement.occurredOn } : null,
    p.userErrors,
    "marketingEngagementCreate",
  );
}
