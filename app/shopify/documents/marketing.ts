/**
 * Marketing consent: a customer's email marketing consent after a one-click unsubscribe or a
 * complaint.
 *
 * Only SUBSCRIBED, UNSUBSCRIBED and PENDING can be set, and `marketingOptInLevel` is required: without
 * it Shopify answers the userError MISSING_ARGUMENT "Marketing opt in level must exist" and changes
 * nothing (live 2026-04 recording, airhorns/shopify-draft-proxy customers/
 * customer-email-marketing-consent-update-parity.json). PENDING needs CONFIRMED_OPT_IN; a
 * consentUpdatedAt in the future is refused (INVALID).
 */
export const CUSTOMER_EMAIL_CONSENT_UPDATE = `#graphql
  mutation CustomerEmailConsentUpdate($input: CustomerEmailMarketingConsentUpdateInput!) {
    customerEmailMarketingConsentUpdate(input: $input) {
      customer {
        id
        defaultEmailAddress {
          emailAddress
          marketingState
          marketingUpdatedAt
        }
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

/**
 * A campaign or program as an external marketing activity, so it shows in the merchant's Shopify
 * Marketing reports (issue 15 item 2). Upsert, keyed by `remoteId`: a retried report after a crash
 * updates the same activity instead of failing on a duplicate. Needs `write_marketing_events`.
 *
 * Facts from live recordings (airhorns/shopify-draft-proxy, fixtures/conformance/
 * harry-test-heelo.myshopify.com/2026-04/marketing/): `status` is required on upsert (a top-level
 * INVALID_VARIABLE "Expected value to not be null" otherwise, marketing-activity-create-external-
 * default-status.json); `remoteUrl` must be http or https (top-level INVALID_FIELD_ARGUMENTS "The URL
 * scheme must be one of the following: https,http", marketing-external-activity-url-scheme-
 * validation.json); a non-hierarchical activity needs UTM parameters or a URL parameter value
 * (NON_HIERARCHIAL_REQUIRES_UTM_URL_PARAMETER), and UTM parameters cannot change afterwards
 * (IMMUTABLE_UTM_PARAMETERS), so the app derives them from the campaign id once.
 */
export const MARKETING_ACTIVITY_UPSERT_EXTERNAL = `#graphql
  mutation MarketingActivityUpsertExternal($input: MarketingActivityUpsertExternalInput!) {
    marketingActivityUpsertExternal(input: $input) {
      marketingActivity {
        id
        title
        status
        marketingEvent {
          id
          remoteId
        }
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;

/**
 * The activity's engagement, cumulative to the day it names (isCumulative), so a day's report sent
 * twice replaces itself: Shopify keeps the latest same-day write (marketing-engagement-lifecycle.json,
 * duplicateSameDay). Identified by the activity's `remoteId`; an unknown one is the userError
 * MARKETING_ACTIVITY_DOES_NOT_EXIST, none or several identifiers INVALID_MARKETING_ENGAGEMENT_ARGUMENT_MISSING
 * / INVALID_MARKETING_ENGAGEMENT_ARGUMENTS (same recording).
 */
export const MARKETING_ENGAGEMENT_CREATE = `#graphql
  mutation MarketingEngagementCreate($remoteId: String!, $engagement: MarketingEngagementInput!) {
    marketingEngagementCreate(remoteId: $remoteId, marketingEngagement: $engagement) {
      marketingEngagement {
        occurredOn
        isCumulative
        sendsCount
        clicksCount
        uniqueClicksCount
        unsubscribesCount
        complaintsCount
        orders
        sales {
          amount
          currencyCode
        }
      }
      userErrors {
        field
        message
        code
      }
    }
  }
`;
