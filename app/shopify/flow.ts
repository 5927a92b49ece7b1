import { z } from "zod";
import { FLOW_TRIGGER_RECEIVE } from "./documents/flow";
import type { AdminClient } from "./graphql-client";
import { outcome, parseResponse, UserErrorListSchema, type Outcome } from "./response";

/** Shopify Flow: fire one of the app's trigger extensions. */
const ReceiveResponse = z.object({ flowTriggerReceive: z.object({ userErrors: UserErrorListSchema }) });

/**
 * `handle` is the trigger extension's handle; `payload` keys are its toml's field keys (references
 * as `customer_id` …). An unknown handle or a payload problem is a userError on `["body"]`
 * ("Errors validating schema:\n  …").
 */
export async function receiveFlowTrigger(
  client: AdminClient,
  input: { handle: string; payload: Record<string, unknown> },
): Promise<Outcome<true>> {
  const data = parseResponse(ReceiveResponse, await client.request(FLOW_TRIGGER_RECEIVE, input), "flowTriggerReceive");
  return outcome(true as const, data.flowTriggerReceive.userErrors, "flowTriggerReceive");
}
