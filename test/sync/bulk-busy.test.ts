import { describe, expect, it } from "vitest";
import { isAppError } from "../../app/lib/errors";
import { runBulkQuery } from "../../app/shopify/bulk/operations";
import type { AdminClient } from "../../app/shopify/graphql-client";

// Recorded live (airhorns/shopify-draft-proxy, 2026-04/bulk-operations/bulk-operation-run-query-concurrency-limit.json):
// the sixth concurrent bulk query of an app on a shop answers bulkOperation null and this userError.
const SIXTH_RUN = {
  bulkOperationRunQuery: {
    bulkOperation: null,
    userErrors: [
      {
        field: null,
        message:
          "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/1, gid://shopify/BulkOperation/2.",
        code: "OPERATION_IN_PROGRESS",
      },
    ],
  },
};

const clientAnswering = (data: unknown): AdminClient => ({ request: async () => data }) as unknown as AdminClient;

describe("runBulkQuery when Shopify is already running five bulk queries", () => {
  it("is a retryable wait (THROTTLED with a retry hint), not a failed sync", async () => {
    const err = await runBulkQuery(clientAnswering(SIXTH_RUN), "{ orders { edges { node { id } } } }").catch((e) => e);
    expect(isAppError(err, "THROTTLED")).toBe(true);
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBeGreaterThan(0);
    expect(err.message).toMatch(/already in progress/);
  });

  it("any other userError still fails with Shopify's message", async () => {
    const other = {
      bulkOperationRunQuery: {
        bulkOperation: null,
        userErrors: [{ field: ["query"], message: "Bulk queries must contain at least one connection.", code: "INVALID" }],
      },
    };
    const err = await runBulkQuery(clientAnswering(other), "{ shop { id } }").catch((e) => e);
    expect(isAppError(err, "SHOPIFY_USER_ERRORS")).toBe(true);
    expect(err.message).toMatch(/at least one connection/);
  });
});
