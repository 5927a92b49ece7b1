import { z } from "zod";
import { AppError } from "../../lib/errors";
import { parseOrThrow } from "../../lib/parse";
import { BULK_OPERATION_QUERY, BULK_RUN_QUERY } from "../documents/bulk";
import { assertNoUserErrors, UserErrorsSchema, type AdminClient } from "../graphql-client";

/** Shopify's BulkOperation as the sync reads it (UnsignedInt64 counts arrive as strings). */
export const BulkOperationSchema = z.object({
  id: z.string(),
  status: z.enum(["CANCELED", "CANCELING", "COMPLETED", "CREATED", "EXPIRED", "FAILED", "RUNNING"]),
  errorCode: z.enum(["ACCESS_DENIED", "INTERNAL_SERVER_ERROR", "TIMEOUT"]).nullish(),
  createdAt: z.string().nullish(),
  completedAt: z.string().nullish(),
  objectCount: z.union([z.string(), z.number()]).nullish().transform((v) => Number(v ?? 0)),
  rootObjectCount: z.union([z.string(), z.number()]).nullish().transform((v) => Number(v ?? 0)),
  fileSize: z.union([z.string(), z.number()]).nullish().transform((v) => (v == null ? null : Number(v))),
  url: z.string().nullish(),
  partialDataUrl: z.string().nullish(),
});
export type BulkOperation = z.infer<typeof BulkOperationSchema>;

export const TERMINAL_STATUSES = new Set(["COMPLETED", "FAILED", "CANCELED", "EXPIRED"]);

const RunPayload = z.object({
  bulkOperationRunQuery: z.object({
    bulkOperation: z.object({ id: z.string(), status: z.string() }).nullish(),
    userErrors: UserErrorsSchema,
  }),
});

/** Starts a bulk query (groupObjects: false, the fast layout); returns the operation id. */
export async function runBulkQuery(client: AdminClient, query: string): Promise<string> {
  const data = parseOrThrow(RunPayload, await client.request(BULK_RUN_QUERY, { query, groupObjects: false }), "bulkOperationRunQuery");
  assertNoUserErrors(data.bulkOperationRunQuery.userErrors, "bulkOperationRunQuery");
  const op = data.bulkOperationRunQuery.bulkOperation;
  if (!op) throw new AppError("SHOPIFY_GRAPHQL", "bulkOperationRunQuery returned no operation");
  return op.id;
}

export async function fetchBulkOperation(client: AdminClient, id: string): Promise<BulkOperation> {
  const data = parseOrThrow(z.object({ bulkOperation: BulkOperationSchema.nullable() }), await client.request(BULK_OPERATION_QUERY, { id }), "bulkOperation");
  if (!data.bulkOperation) throw new AppError("NOT_FOUND", `Bulk operation ${id} not found`);
  return data.bulkOperation;
}
