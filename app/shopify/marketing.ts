import { z } from "zod";
import { CUSTOMER_EMAIL_CONSENT_UPDATE } from "./documents/marketing";
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
