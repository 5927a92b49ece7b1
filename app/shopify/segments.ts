import { z } from "zod";
import { SEGMENT_CREATE, SEGMENTS_BY_TAG } from "./documents/segments";
import type { AdminClient } from "./graphql-client";
import { outcome, parseResponse, UserErrorListSchema, type Outcome } from "./response";

/** Customer segments. */
const SegmentSchema = z.object({ id: z.string(), name: z.string(), query: z.string() });
export type Segment = z.infer<typeof SegmentSchema>;

const SegmentsResponse = z.object({ segments: z.object({ nodes: z.array(SegmentSchema) }) });
const SegmentCreateResponse = z.object({
  segmentCreate: z.object({ segment: SegmentSchema.nullish(), userErrors: UserErrorListSchema }),
});

/** Segments whose name or query matches `search` (Shopify's segment search; the first 20). */
export async function searchSegments(client: AdminClient, search: string): Promise<Segment[]> {
  return parseResponse(SegmentsResponse, await client.request(SEGMENTS_BY_TAG, { query: search }), "segments").segments.nodes;
}

/**
 * Creates a segment. Shopify does not refuse a duplicate name (it appends " (2)"); an invalid
 * ShopifyQL query is a userError on `["query"]` ("Query Line 1 Column N: …").
 */
export async function createSegment(client: AdminClient, input: { name: string; query: string }): Promise<Outcome<Segment>> {
  const data = parseResponse(SegmentCreateResponse, await client.request(SEGMENT_CREATE, input), "segmentCreate");
  return outcome(data.segmentCreate.segment, data.segmentCreate.userErrors, "segmentCreate");
}
