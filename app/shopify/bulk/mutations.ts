import { randomBytes } from "node:crypto";
import { createWriteStream, openAsBlob } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { AppError } from "../../lib/errors";
import { assertNoUserErrors, parseResponse, UserErrorListSchema } from "../response";
import { BULK_RUN_MUTATION, STAGED_UPLOADS_CREATE } from "../documents/bulk";
import type { AdminClient } from "../graphql-client";
import { bodyChunks, jsonlLineBatches } from "../jsonl/lines";
import { fetchBulkOperation, TERMINAL_STATUSES, type BulkOperation } from "./operations";

/**
 * Shopify bulk mutations, shared by campaign tagging and the loyalty metafield sync: upload a JSONL
 * of variables to a staged target, run the mutation once per line inside Shopify, wait, and read
 * the per-line results. Thousands of single mutations would spend minutes of throttled API time.
 */
const Staged = z.object({
  stagedUploadsCreate: z.object({
    stagedTargets: z
      .array(z.object({ url: z.string().nullish(), parameters: z.array(z.object({ name: z.string(), value: z.string() })) }))
      .nullish(),
    userErrors: UserErrorListSchema,
  }),
});
const Run = z.object({
  bulkOperationRunMutation: z.object({
    bulkOperation: z.object({ id: z.string(), status: z.string() }).nullish(),
    userErrors: UserErrorListSchema,
  }),
});

export interface StartBulkMutation {
  /** The mutation document run for every line (its variables are the line). */
  mutation: string;
  /**
   * One JSON object of variables per line, in order: results come back by line number. Batches
   * (an async iterable of arrays) are written to a temporary file as they come and the upload
   * streams from it, so a 400,000-line upload never sits in memory.
   */
  variables: unknown[] | AsyncIterable<unknown[]>;
  filename: string;
  clientIdentifier: string;
  fetch?: typeof fetch;
}

/** Stages the variables and starts the bulk mutation; returns the operation id. */
export async function startBulkMutation(client: AdminClient, input: StartBulkMutation): Promise<string> {
  const doFetch = input.fetch ?? fetch;
  const staged = parseResponse(
    Staged,
    await client.request(STAGED_UPLOADS_CREATE, {
      input: [{ resource: "BULK_MUTATION_VARIABLES", filename: input.filename, mimeType: "text/jsonl", httpMethod: "POST" }],
    }),
    "stagedUploadsCreate",
  );
  assertNoUserErrors(staged.stagedUploadsCreate.userErrors, "stagedUploadsCreate");
  const target = staged.stagedUploadsCreate.stagedTargets?.[0];
  const key = target?.parameters.find((p) => p.name === "key")?.value;
  if (!target?.url || !key) throw new AppError("SHOPIFY_GRAPHQL", "stagedUploadsCreate returned no usable upload target (url and key)");
  const form = new FormData();
  for (const p of target.parameters) form.append(p.name, p.value);
  const vars = input.variables;
  const file = Array.isArray(vars) ? null : await writeJsonlFile(vars);
  try {
    const body = Array.isArray(vars)
      ? new Blob([vars.map((v) => JSON.stringify(v)).join("\n") + "\n"], { type: "text/jsonl" })
      : await openAsBlob(file!, { type: "text/jsonl" });
    // A file-backed Blob has its size up front (the multipart body gets a Content-Length) and is read as it is sent.
    form.append("file", body, input.filename);
    let res: Response;
    try {
      res = await doFetch(target.url, { method: "POST", body: form });
    } catch (e) {
      throw new AppError("NETWORK", `staged upload failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (!res.ok)
      throw new AppError("NETWORK", `staged upload answered ${res.status}`, { retryable: res.status >= 500 || res.status === 429 });
  } finally {
    if (file) await rm(file, { force: true });
  }

  const run = parseResponse(
    Run,
    await client.request(BULK_RUN_MUTATION, { mutation: input.mutation, stagedUploadPath: key, clientIdentifier: input.clientIdentifier }),
    "bulkOperationRunMutation",
  );
  const errs = run.bulkOperationRunMutation.userErrors;
  // Shopify limits concurrent bulk mutations per shop; another one (ours or another app's) will finish.
  if (errs.some((u) => u.code === "OPERATION_IN_PROGRESS" || /in progress|already/i.test(u.message))) {
    throw new AppError("CONFLICT", `bulk mutation busy: ${errs.map((u) => u.message).join("; ")}`, {
      retryable: true,
      retryAfterMs: 30_000,
    });
  }
  assertNoUserErrors(errs, "bulkOperationRunMutation");
  const id = run.bulkOperationRunMutation.bulkOperation?.id;
  if (!id) throw new AppError("SHOPIFY_GRAPHQL", "bulkOperationRunMutation returned no operation");
  return id;
}

/** Writes the batches as JSONL to a new temporary file (waiting for the disk when it is behind); returns its path. */
async function writeJsonlFile(batches: AsyncIterable<unknown[]>): Promise<string> {
  const file = path.join(tmpdir(), `winback-bulk-${randomBytes(8).toString("hex")}.jsonl`);
  const out = createWriteStream(file);
  const failed = new Promise<never>((_, reject) => out.once("error", reject));
  failed.catch(() => {});
  try {
    for await (const batch of batches) {
      if (!batch.length) continue;
      const chunk = batch.map((v) => JSON.stringify(v)).join("\n") + "\n";
      if (!out.write(chunk)) await Promise.race([new Promise<void>((r) => out.once("drain", () => r())), failed]);
    }
    await Promise.race([new Promise<void>((r) => out.end(() => r())), failed]);
    return file;
  } catch (e) {
    out.destroy();
    await rm(file, { force: true });
    throw e;
  }
}

export interface WaitOptions {
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
  /** How long this attempt waits; past it a retryable NETWORK error hands back to the job queue. */
  waitMs: number;
  /** Names the operation in errors, e.g. "bulk tagging". */
  label: string;
  retryAfterMs?: number;
}

/** Polls until the operation is terminal; throws a retryable error when this attempt has waited long enough. */
export async function waitForBulkOperation(client: AdminClient, id: string, opts: WaitOptions): Promise<BulkOperation> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = Date.now() + opts.waitMs;
  let op = await fetchBulkOperation(client, id);
  while (!TERMINAL_STATUSES.has(op.status)) {
    if (Date.now() > deadline)
      throw new AppError("NETWORK", `${opts.label} ${id} still ${op.status}`, {
        retryable: true,
        retryAfterMs: opts.retryAfterMs ?? 15_000,
      });
    await sleep(opts.pollMs ?? 1000);
    op = await fetchBulkOperation(client, id);
  }
  return op;
}

export interface BulkMutationLineResult {
  /** The mutation's payload for the line (e.g. `{ tagsAdd: { userErrors } }`). */
  data?: Record<string, { userErrors?: Array<{ message: string; elementIndex?: number | null }> } | null>;
  /** GraphQL errors of the line (variables that did not fit the mutation). */
  errors?: Array<{ message: string }>;
}

const LineNumber = z.object({ __lineNumber: z.number().int().nonnegative() }).passthrough();
/** A result line as Shopify writes it: the mutation's payload under `data`, or the line's GraphQL `errors`. */
const ResultLine = z.object({
  data: z
    .record(
      z.string(),
      z
        .object({
          userErrors: z.array(z.object({ message: z.string(), elementIndex: z.number().int().nullish() }).passthrough()).optional(),
        })
        .passthrough()
        .nullable(),
    )
    .nullish()
    .transform((v) => v ?? undefined),
  errors: z.array(z.object({ message: z.string() }).passthrough()).optional(),
});

/** The result file of a completed bulk mutation, by 0-based line number. A line missing from it did not run. */
export async function readBulkMutationResults(
  op: BulkOperation,
  doFetch: typeof fetch = fetch,
): Promise<Map<number, BulkMutationLineResult>> {
  const out = new Map<number, BulkMutationLineResult>();
  if (!op.url) return out;
  const res = await doFetch(op.url);
  if (!res.ok) throw new AppError("NETWORK", `bulk mutation result download answered ${res.status}`, { retryable: true });
  let n = 0;
  for (const raw of (await res.text()).split("\n")) {
    const line = resultLine(raw, ++n);
    if (line) out.set(line.lineNumber, line.result);
  }
  return out;
}

/**
 * One line of a bulk mutation's result file (1-based `n` for messages), or null for a blank line or
 * one without a line number (nothing to attribute it to). A line we cannot read must not pass for a
 * line without problems: it throws.
 */
function resultLine(raw: string, n: number): { lineNumber: number; result: BulkMutationLineResult } | null {
  if (!raw.trim()) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AppError("INVALID_INPUT", `bulk mutation result line ${n} is not JSON`);
  }
  const numbered = LineNumber.safeParse(parsed);
  if (!numbered.success) return null;
  const r = ResultLine.safeParse(parsed);
  if (!r.success)
    throw new AppError(
      "SHOPIFY_GRAPHQL",
      `bulk mutation result line ${n} has an unexpected shape: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return { lineNumber: numbered.data.__lineNumber, result: r.data };
}

/**
 * The lines of a completed bulk mutation's result that carry a message (GraphQL errors or the
 * `field` payload's userErrors), by 0-based line number. The file is read as it downloads, a line
 * at a time, and only failing lines are kept: a 400,000-line result costs one line of memory.
 * As with readBulkMutationResults, a line missing from the file counts as without messages.
 */
export async function readBulkMutationFailures(
  op: BulkOperation,
  field: string,
  doFetch: typeof fetch = fetch,
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (!op.url) return out;
  const res = await doFetch(op.url);
  if (!res.ok) throw new AppError("NETWORK", `bulk mutation result download answered ${res.status}`, { retryable: true });
  let n = 0;
  const take = (raw: string) => {
    const line = resultLine(raw, ++n);
    if (!line) return;
    const messages = lineMessages(line.result, field);
    if (messages.length) out.set(line.lineNumber, messages);
  };
  if (!res.body) {
    for (const raw of (await res.text()).split("\n")) take(raw);
    return out;
  }
  for await (const lines of jsonlLineBatches(bodyChunks(res.body))) for (const raw of lines) take(raw);
  return out;
}

/** Every message of a result line: GraphQL errors and the payload's userErrors. */
export function lineMessages(line: BulkMutationLineResult | undefined, field: string): string[] {
  if (!line) return [];
  return [...(line.errors ?? []), ...(line.data?.[field]?.userErrors ?? [])].map((u) => u.message);
}
