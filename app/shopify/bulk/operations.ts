import { z } from "zod";
import { AppError } from "../../lib/errors";
import { assertNoUserErrors, parseResponse, UserErrorListSchema } from "../response";
import { BULK_OPERATION_QUERY, BULK_RUN_QUERY } from "../documents/bulk";
import type { AdminClient } from "../graphql-client";

/** Shopify's BulkOperation as the sync reads it (UnsignedInt64 counts arrive as strings). */
export const BulkOperationSchema = z.object({
  id: z.string(),
  status: z.enum(["CANCELED", "CANCELING", "COMPLETED", "CREATED", "EXPIRED", "FAILED", "RUNNING"]),
  errorCode: z.enum(["ACCESS_DENIED", "INTERNAL_SERVER_ERROR", "TIMEOUT"]).nullish(),
  createdAt: z.string().nullish(),
  completedAt: z.string().nullish(),
  objectCount: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((v) => Number(v ?? 0)),
  rootObjectCount: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((v) => Number(v ?? 0)),
  fileSize: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((v) => (v == null ? null : Number(v))),
  url: z.string().nullish(),
  partialDataUrl: z.string().nullish(),
});
export type BulkOperation = z.infer<typeof BulkOperationSchema>;

export const TERMINAL_STATUSES = new Set(["COMPLETED", "FAILED", "CANCELED", "EXPIRED"]);

const RunPayload = z.object({
  bulkOperationRunQuery: z.object({
    bulkOperation: z.object({ id: z.string(), status: z.string() }).nullish(),
    userErrors: UserErrorListSchema,
  }),
});

/**
 * Shopify runs at most five bulk queries per app and shop; the sixth is refused with the userError
 * OPERATION_IN_PROGRESS ("A bulk query operation for this app and shop is already in progress: <ids>.",
 * recorded live: airhorns/shopify-draft-proxy 2026-04/bulk-operations/bulk-operation-run-query-concurrency-limit.json).
 * That clears by itself when one of them finishes, so it is a wait-and-retry, like throttling.
 */
const BUSY_RETRY_MS = 30_000;

/** Starts a bulk query (groupObjects: false, the fast layout); returns the operation id. */
export async function runBulkQuery(client: AdminClient, query: string): Promise<string> {
  const data = parseResponse(RunPayload, await client.request(BULK_RUN_QUERY, { query, groupObjects: false }), "bulkOperationRunQuery");
  const errs = data.bulkOperationRunQuery.userErrors;
  if (errs.some((u) => u.code === "OPERATION_IN_PROGRESS")) {
    throw new AppError(
      "THROTTLED",
      `Shopify is already running this app's bulk queries for the shop: ${errs.map((u) => u.message).join("; ")}`,
      {
        details: errs,
        retryAfterMs: BUSY_RETRY_MS,
      },
    );
  }
  assertNoUserErrors(errs, "bulkOperationRunQuery");
  const op = data.bulkOperationRunQuery.bulkOperation;
  if (!op) throw new AppError("SHOPIFY_GRAPHQL", "bulkOperationRunQuery returned no operation");
  return op.id;
}

export async function fetchBulkOperation(client: AdminClient, id: string): Promise<BulkOperation> {
  const data = parseResponse(
    z.object({ bulkOperation: BulkOperationSchema.nullable() }),
    await client.request(BULK_OPERATION_QUERY, { id }),
    "bulkOperation",
  );
  if (!data.bulkOperation) throw new AppError("NOT_FOUND", `Bulk operation ${id} not found`);
  return data.bulkOperation;
}
