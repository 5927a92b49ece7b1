/**
 * Messaging: a customer's email marketing consent after a one-click unsubscribe or a complaint, and
 * Shopify Flow triggers (the merchant's own SMS / Shopify Email / Klaviyo workflows).
 */

/** Only SUBSCRIBED, UNSUBSCRIBED and PENDING can be set; the customer must have an email address. */
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

/** `handle` is the trigger extension's handle; `payload` keys are the toml's field keys plus `customer_id`. */
export const FLOW_TRIGGER_RECEIVE = `#graphql
  mutation FlowTriggerReceive($handle: String!, $payload: JSON!) {
    flowTriggerReceive(handle: $handle, payload: $payload) {
      userErrors {
        field
        message
      }
    }
  }
`;
