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
