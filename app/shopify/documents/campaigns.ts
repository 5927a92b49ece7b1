/**
 * Admin API documents of a campaign launch: tag the treated customers (one by one or as a bulk
 * mutation), one customer segment on the campaign tag, one code discount limited to that segment.
 */
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

export const SEGMENT_CREATE = `#graphql
  mutation CampaignSegmentCreate($name: String!, $query: String!) {
    segmentCreate(name: $name, query: $query) {
      segment {
        id
        name
        query
      }
      userErrors {
        field
        message
      }
    }
  }
`;

export const SEGMENTS_BY_TAG = `#graphql
  query CampaignSegmentsByTag($query: String!) {
    segments(first: 20, query: $query) {
      nodes {
        id
        name
        query
      }
    }
  }
`;

export const CODE_DISCOUNT_BY_CODE = `#graphql
  query CampaignDiscountByCode($code: String!) {
    codeDiscountNodeByCode(code: $code) {
      id
      codeDiscount {
        __typename
        ... on DiscountCodeBasic {
          title
          endsAt
        }
      }
    }
  }
`;

export const DISCOUNT_CODE_BASIC_CREATE = `#graphql
  mutation CampaignDiscountCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
    discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
      codeDiscountNode {
        id
      }
      userErrors {
        field
        message
        code
        extraInfo
      }
    }
  }
`;
