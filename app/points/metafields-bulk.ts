import { z } from "zod";
import { AppError } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
import { fetchBulkOperation, TERMINAL_STATUSES } from "../shopify/bulk/operations";
import { POINTS_BULK_RUN_MUTATION, POINTS_METAFIELDS_SET_BULK_LINE, POINTS_STAGED_UPLOAD } from "../shopify/documents/points";
import { assertNoUserErrors, type AdminClient } from "../shopify/graphql-client";

export interface BulkWriteDeps {
  client: AdminClient;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Poll interval and how long to wait for the operation (then the job retries and writes again: idempotent). */
  pollMs?: number;
  waitMs?: number;
}

const UserErrors = z.array(z.object({ field: z.array(z.string()).nullish(), message: z.string(), code: z.string().nullish() }));
const Staged = z.object({
  stagedUploadsCreate: z.object({
    stagedTargets: z.array(z.object({ url: z.string().nullish(), parameters: z.array(z.object({ name: z.string(), value: z.string() })) })).nullish(),
    userErrors: UserErrors,
  }),
});
const Run = z.object({
  bulkOperationRunMutation: z.object({ bulkOperation: z.object({ id: z.string(), status: z.string() }).nullish(), userErrors: UserErrors }),
});

/**
 * Runs one metafieldsSet per line (each line ≤ 25 metafields) as a Shopify bulk mutation: a staged
 * JSONL upload, bulkOperationRunMutation, polling, then the result file. Returns, per line, the
 * indexes Shopify rejected with their messages; metafieldsSet is atomic, so a line with any
 * rejection wrote nothing (the caller re-sends its valid elements).
 */
export async function metafieldsSetInBulk(deps: BulkWriteDeps, shop: string, lines: Array<Array<Record<string, string>>>): Promise<Map<number, Map<number, string>>> {
  const doFetch = deps.fetch ?? fetch;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const jsonl = lines.map((metafields) => JSON.stringify({ metafields })).join("\n") + "\n";
  const filename = `winback-loyalty-${Date.now()}.jsonl`;
  const staged = parseOrThrow(Staged, await deps.client.request(POINTS_STAGED_UPLOAD, { input: [{ resource: "BULK_MUTATION_VARIABLES", filename, mimeType: "text/jsonl", httpMethod: "POST" }] }), "stagedUploadsCreate");
  assertNoUserErrors(staged.stagedUploadsCreate.userErrors, "stagedUploadsCreate");
  const target = staged.stagedUploadsCreate.stagedTargets?.[0];
  const key = target?.parameters.find((p) => p.name === "key")?.value;
  if (!target?.url || !key) throw new AppError("SHOPIFY_GRAPHQL", "stagedUploadsCreate returned no usable upload target");
  const form = new FormData();
  for (const p of target.parameters) form.append(p.name, p.value);
  form.append("file", new Blob([jsonl], { type: "text/jsonl" }), filename);
  let res: Response;
  try {
    res = await doFetch(target.url, { method: "POST", body: form });
  } catch (e) {
    throw new AppError("NETWORK", `staged upload failed: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new AppError("NETWORK", `staged upload answered ${res.status}`, { retryable: res.status >= 500 || res.status === 429 });

  const run = parseOrThrow(Run, await deps.client.request(POINTS_BULK_RUN_MUTATION, { mutation: POINTS_METAFIELDS_SET_BULK_LINE, stagedUploadPath: key, clientIdentifier: `winback-loyalty:${shop}` }), "bulkOperationRunMutation");
  const errs = run.bulkOperationRunMutation.userErrors;
  if (errs.some((u) => u.code === "OPERATION_IN_PROGRESS" || /in progress/i.test(u.message))) {
    // One bulk mutation per shop at a time (campaign tagging may be running): retry later.
    throw new AppError("CONFLICT", `bulk mutation busy: ${errs.map((u) => u.message).join("; ")}`, { retryable: true, retryAfterMs: 30_000 });
  }
  assertNoUserErrors(errs, "bulkOperationRunMutation");
  const opId = run.bulkOperationRunMutation.bulkOperation?.id;
  if (!opId) throw new AppError("SHOPIFY_GRAPHQL", "bulkOperationRunMutation returned no operation");

  const deadline = Date.now() + (deps.waitMs ?? 10 * 60_000);
  let op = await fetchBulkOperation(deps.client, opId);
  while (!TERMINAL_STATUSES.has(op.status)) {
    if (Date.now() > deadline) throw new AppError("NETWORK", `bulk metafield write ${opId} still ${op.status}`, { retryable: true, retryAfterMs: 60_000 });
    await sleep(deps.pollMs ?? 1000);
    op = await fetchBulkOperation(deps.client, opId);
  }
  if (op.status !== "COMPLETED") throw new AppError("BULK_OPERATION_FAILED", `bulk metafield write ended ${op.status}${op.errorCode ? ` (${op.errorCode})` : ""}`, { retryable: true, retryAfterMs: 60_000 });

  const rejected = new Map<number, Map<number, string>>();
  const seen = new Set<number>();
  if (op.url) {
    const out = await doFetch(op.url);
    if (!out.ok) throw new AppError("NETWORK", `bulk mutation result download answered ${out.status}`, { retryable: true });
    for (const raw of (await out.text()).split("\n")) {
      if (!raw.trim()) continue;
      const r = JSON.parse(raw) as { __lineNumber?: number; data?: { metafieldsSet?: { userErrors?: Array<{ message: string; elementIndex?: number | null }> } }; errors?: Array<{ message: string }> };
      if (typeof r.__lineNumber !== "number") continue;
      seen.add(r.__lineNumber);
      const line = new Map<number, string>();
      for (const u of r.data?.metafieldsSet?.userErrors ?? []) line.set(typeof u.elementIndex === "number" ? u.elementIndex : -1, u.message);
      for (const e of r.errors ?? []) line.set(-1, e.message);
      if (line.size) rejected.set(r.__lineNumber, line);
    }
  }
  // A line without a result did not run: report it whole so nothing is recorded as written.
  for (let i = 0; i < lines.length; i++) if (!seen.has(i)) rejected.set(i, new Map([[-1, "no result for this line"]]));
  return rejected;
}
