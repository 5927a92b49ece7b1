/**
 * Customers: the sync's bulk export of customers, and tags (a campaign tags its treated customers,
 * one by one or as a bulk mutation, so a segment can select them).
 */

/** Customer.email / emailMarketingConsent / smsMarketingConsent are deprecated in 2026-10. */
export const CUSTOMERS_BULK_QUERY = `#graphql
  query CustomersBulk {
    customers(query: "__FILTER__") {
      edges {
        node {
          id
          firstName
          lastName
          tags
          updatedAt
          defaultEmailAddress {
            emailAddress
            marketingState
          }
          defaultPhoneNumber {
            phoneNumber
            marketingState
          }
        }
      }
    }
  }
`;

export const TAGS_ADD = `#graphql
  mutation CampaignTagsAdd($id: ID!, $tags: [String!]!) {
    tagsAdd(id: $id, tags: $tags) {
      node {
        id
      }
      userErrors {
        field
        message
      }
    }
  }
`;

/** The mutation each JSONL line of the bulk tagging runs (sent as a string to bulkOperationRunMutation). */
export const TAGS_ADD_BULK_LINE = `#graphql
  mutation CampaignTagsAddLine($id: ID!, $tags: [String!]!) {
    tagsAdd(id: $id, tags: $tags) {
      node {
        id
      }
      userErrors {
        field
        message
      }
    }
  }
`;
