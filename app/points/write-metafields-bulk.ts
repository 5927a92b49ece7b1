import { AppError } from "../lib/errors";
import { readBulkMutationResults, waitForBulkOperation } from "../shopify/bulk/mutations";
import { startBulkMetafieldsSet, type MetafieldsSetInput } from "../shopify/metafields";
import type { AdminClient } from "../shopify/graphql-client";

export interface BulkWriteDeps {
  client: AdminClient;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Poll interval and how long to wait for the operation (then the job retries and writes again: idempotent). */
  pollMs?: number;
  waitMs?: number;
}

/**
 * Runs one metafieldsSet per line (each line ≤ 25 metafields) as a Shopify bulk mutation: a staged
 * JSONL upload, bulkOperationRunMutation, polling, then the result file. Returns, per line, the
 * indexes Shopify rejected with their messages; metafieldsSet is atomic, so a line with any
 * rejection wrote nothing (the caller re-sends its valid elements).
 */
export async function metafieldsSetInBulk(
  deps: BulkWriteDeps,
  shop: string,
  lines: MetafieldsSetInput[][],
): Promise<Map<number, Map<number, string>>> {
  const opId = await startBulkMetafieldsSet(deps.client, {
    lines,
    filename: `winback-loyalty-${Date.now()}.jsonl`,
    clientIdentifier: `winback-loyalty:${shop}`,
    fetch: deps.fetch,
  });
  const op = await waitForBulkOperation(deps.client, opId, {
    sleep: deps.sleep,
    pollMs: deps.pollMs,
    waitMs: deps.waitMs ?? 10 * 60_000,
    label: "bulk metafield write",
    retryAfterMs: 60_000,
  });
  if (op.status !== "COMPLETED")
    throw new AppError("BULK_OPERATION_FAILED", `bulk metafield write ended ${op.status}${op.errorCode ? ` (${op.errorCode})` : ""}`, {
      retryable: true,
      retryAfterMs: 60_000,
    });

  const results = await readBulkMutationResults(op, deps.fetch);
  const rejected = new Map<number, Map<number, string>>();
  for (const [lineNumber, r] of results) {
    const line = new Map<number, string>();
    for (const u of r.data?.metafieldsSet?.userErrors ?? []) line.set(typeof u.elementIndex === "number" ? u.elementIndex : -1, u.message);
    for (const e of r.errors ?? []) line.set(-1, e.message);
    if (line.size) rejected.set(lineNumber, line);
  }
  // A line without a result did not run: report it whole so nothing is recorded as written.
  for (let i = 0; i < lines.length; i++) if (!results.has(i)) rejected.set(i, new Map([[-1, "no result for this line"]]));
  return rejected;
}
