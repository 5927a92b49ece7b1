import { z } from "zod";
import { runBulkQuery } from "./bulk/operations";
import { startBulkMutation } from "./bulk/mutations";
import { bulkQueryText } from "./documents/bulk";
import { CUSTOMERS_BULK_QUERY, TAGS_ADD, TAGS_ADD_BULK_LINE } from "./documents/customers";
import type { AdminClient } from "./graphql-client";
import { outcome, parseResponse, UserErrorListSchema, type Outcome } from "./response";

/** Customers: the sync's bulk export of customers, and tags. Consent is in marketing.ts. */
export function startCustomersExport(client: AdminClient, filter: string | null): Promise<string> {
  return runBulkQuery(client, bulkQueryText(CUSTOMERS_BULK_QUERY, filter));
}

const TagsAddResponse = z.object({
  tagsAdd: z.object({ node: z.object({ id: z.string() }).nullish(), userErrors: UserErrorListSchema }),
});

/** Adds tags to one resource (a customer gid); Shopify's refusal (e.g. the customer was deleted) comes back as userErrors. */
export async function addTags(client: AdminClient, input: { id: string; tags: string[] }): Promise<Outcome<{ id: string }>> {
  const data = parseResponse(TagsAddResponse, await client.request(TAGS_ADD, input), "tagsAdd");
  return outcome(data.tagsAdd.node, data.tagsAdd.userErrors, "tagsAdd");
}

export interface StartBulkTagging {
  /**
   * One line per resource, in order: results come back by line number (bulk/mutations.ts lineMessages(…, "tagsAdd")).
   * Batches (an async iterable) stream to the upload without holding every line in memory.
   */
  lines: Array<{ id: string; tags: string[] }> | AsyncIterable<Array<{ id: string; tags: string[] }>>;
  filename: string;
  clientIdentifier: string;
  fetch?: typeof fetch;
}

/** tagsAdd for every line as one bulk mutation; returns the operation id. */
export function startBulkTagging(client: AdminClient, input: StartBulkTagging): Promise<string> {
  return startBulkMutation(client, {
    mutation: TAGS_ADD_BULK_LINE,
    variables: input.lines,
    filename: input.filename,
    clientIdentifier: input.clientIdentifier,
    fetch: input.fetch,
  });
}
