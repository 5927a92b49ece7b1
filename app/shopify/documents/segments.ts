/** Customer segments: a campaign's segment selects its tag, so the discount can be limited to it. */
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
