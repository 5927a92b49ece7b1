/**
 * Shopify Flow triggers (the merchant's own SMS / Shopify Email / Klaviyo workflows).
 * `handle` is the trigger extension's handle; `payload` keys are the toml's field keys plus `customer_id`.
 */
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
