// Bulk operations: bulkOperationRunQuery / bulkOperationRunMutation / bulkOperationCancel /
// bulkOperation / currentBulkOperation / bulkOperations, streamed JSONL results, signed expiring
// download URLs, the bulk_operations/finish webhook and fault injection. Bulk mutations read their
// variables from a staged upload (modules/marketing.ts) and run each line through the registry.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import {
  Kind,
  getArgumentValues,
  getNamedType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type SelectionSetNode,
} from "graphql";
import { connection, type ConnectionArgs } from "../connection";
import {
  getOperation,
  hasScope,
  parseAndValidate,
  resolveField,
  runGraphQL,
  type EmulatorModule,
  type Registry,
  type RequestContext,
} from "../engine";
import { nodeResolvers } from "../nodes";
import { MASKED_DISPLAY_NAME, customerObjectDenied, fullyApproved, protectedRule } from "../protected-data";
import { adminSchema } from "../schema";
import { gid, iso, type ShopState } from "../state";
import { selectOrders } from "./orders";
import { selectCustomers } from "./customers";
import { stagedUpload } from "./marketing";

export type BulkStatus = "CREATED" | "RUNNING" | "COMPLETED" | "CANCELING" | "CANCELED" | "FAILED" | "EXPIRED";
export type BulkErrorCode = "ACCESS_DENIED" | "INTERNAL_SERVER_ERROR" | "TIMEOUT";

export interface BulkTiming {
  /** Delay before CREATED -> RUNNING. */
  startDelayMs: number;
  /** Root objects processed per tick. */
  rootsPerTick: number;
  /** Pause between ticks (makes RUNNING observable). */
  tickDelayMs: number;
  /** Signed URL lifetime (Shopify: 7 days). */
  urlTtlMs: number;
}
export const DEFAULT_BULK_TIMING: BulkTiming = { startDelayMs: 20, rootsPerTick: 2000, tickDelayMs: 0, urlTtlMs: 7 * 86_400_000 };

export type BulkFault =
  | { kind: "FAILED"; errorCode: BulkErrorCode; afterRoots?: number; partial?: boolean }
  | { kind: "CANCELED"; afterRoots?: number }
  | { kind: "EXPIRED" }
  | { kind: "webhook"; mode: "never" | "duplicate" | "delayed"; delayMs?: number };

export interface BulkOp {
  legacyId: number;
  id: string;
  shop: string;
  status: BulkStatus;
  errorCode: BulkErrorCode | null;
  createdAt: number;
  completedAt: number | null;
  objectCount: number;
  rootObjectCount: number;
  fileSize: number | null;
  query: string;
  groupObjects: boolean;
  type: "QUERY" | "MUTATION";
  filePath: string;
  fileReady: boolean;
  expiresAt: number | null;
  partial: boolean;
  cancelRequested: boolean;
  faults: BulkFault[];
  scopes: string[];
  /** Bulk mutations: the staged upload key and the parsed variable lines. */
  stagedUploadPath?: string;
  clientIdentifier?: string | null;
  lines?: Array<Record<string, unknown>>;
}

type MutationUserError = { field: string[] | null; message: string; code: string | null };
/** Shopify 2026-01+: up to five bulk mutations per shop and app at the same time. */
export const MAX_CONCURRENT_BULK_MUTATIONS = 5;
/** Same limit for bulk queries (recording bulk-operation-run-query-concurrency-limit.json). */
export const MAX_CONCURRENT_BULK_QUERIES = 5;
export const CLIENT_IDENTIFIER_MIN = 10;
export const CLIENT_IDENTIFIER_MAX = 255;
const isActive = (o: BulkOp) => o.status === "CREATED" || o.status === "RUNNING" || o.status === "CANCELING";
const BULK_ONLY_ROOTS = new Set(["bulkOperationRunMutation", "bulkOperationRunQuery", "bulkOperationCancel", "stagedUploadsCreate"]);

let nextBulkId = 4_400_000_000;

export class BulkService {
  readonly ops: BulkOp[] = [];
  /** Faults applied to the next bulk operation(s) of a shop (or "*" for any shop). */
  readonly pendingFaults = new Map<string, BulkFault[]>();
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "shopify-emulator-bulk-"));
  private timers = new Set<NodeJS.Timeout>();
  private running = new Set<Promise<void>>();
  stopped = false;

  constructor(
    readonly deps: {
      registry: Registry;
      timing: BulkTiming;
      now: () => number;
      url: () => string;
      secret: string;
      shop: (domain: string) => ShopState | undefined;
      webhook: (shop: string, topic: string, payload: unknown, opts?: { duplicate?: boolean; delayMs?: number }) => void;
    },
  ) {}

  injectFault(shop: string, fault: BulkFault) {
    const list = this.pendingFaults.get(shop) ?? [];
    list.push(fault);
    this.pendingFaults.set(shop, list);
  }

  private takeFaults(shop: string): BulkFault[] {
    const own = this.pendingFaults.get(shop) ?? [];
    const any = this.pendingFaults.get("*") ?? [];
    this.pendingFaults.delete(shop);
    this.pendingFaults.delete("*");
    return [...own, ...any];
  }

  signedUrl(op: BulkOp): string {
    const expires = Math.floor(op.expiresAt! / 1000);
    const sig = crypto.createHmac("sha256", this.deps.secret).update(`${op.shop}:${op.legacyId}:${expires}`).digest("hex").slice(0, 32);
    return `${this.deps.url()}/${op.shop}/bulk/${op.legacyId}.jsonl?expires=${expires}&sig=${sig}`;
  }

  checkSignature(shop: string, legacyId: number, expires: string | null, sig: string | null): "ok" | "forbidden" | "expired" {
    if (!expires || !sig) return "forbidden";
    const want = crypto.createHmac("sha256", this.deps.secret).update(`${shop}:${legacyId}:${expires}`).digest("hex").slice(0, 32);
    if (want.length !== sig.length || !crypto.timingSafeEqual(Buffer.from(want), Buffer.from(sig))) return "forbidden";
    if (this.deps.now() > Number(expires) * 1000) return "expired";
    return "ok";
  }

  find(shop: string, legacyId: number) {
    return this.ops.find((o) => o.shop === shop && o.legacyId === legacyId);
  }

  view(op: BulkOp) {
    // Lazily reflect URL expiry on the injected clock.
    if (op.status === "COMPLETED" && op.expiresAt != null && this.deps.now() > op.expiresAt) op.status = "EXPIRED";
    const live = op.status === "COMPLETED" && op.fileReady;
    const failedPartial = op.status === "FAILED" && op.partial && op.fileReady;
    return {
      __typename: "BulkOperation",
      id: op.id,
      status: op.status,
      errorCode: op.errorCode,
      createdAt: iso(op.createdAt),
      // A canceled operation never completed: Shopify answers completedAt null (recordings
      // bulk-operation-status-catalog-cancel.json, bulk-operation-cancel-preserves-fields.json).
      completedAt: op.completedAt == null || op.status === "CANCELED" ? null : iso(op.completedAt),
      objectCount: String(op.objectCount),
      rootObjectCount: String(op.rootObjectCount),
      fileSize: live && op.fileSize != null ? String(op.fileSize) : null,
      url: live ? this.signedUrl(op) : null,
      partialDataUrl: failedPartial ? this.signedUrl(op) : null,
      query: op.query,
      type: op.type,
    };
  }

  /** Validates and starts a bulk query. Returns [op, userErrors]. */
  start(
    ctx: RequestContext,
    query: string,
    groupObjects: boolean,
  ): [BulkOp | null, Array<{ field: string[] | null; message: string; code: string }>] {
    // Live recording bulk-operations/bulk-operation-run-query-concurrency-limit.json (2026-04): five
    // non-terminal query operations per app and shop; the sixth gets OPERATION_IN_PROGRESS, field null,
    // naming every operation in progress.
    const active = this.ops.filter((o) => o.shop === ctx.shop.domain && o.type === "QUERY" && isActive(o));
    if (active.length >= MAX_CONCURRENT_BULK_QUERIES) {
      return [
        null,
        [
          {
            field: null,
            message: `A bulk query operation for this app and shop is already in progress: ${active.map((o) => o.id).join(", ")}.`,
            code: "OPERATION_IN_PROGRESS",
          },
        ],
      ];
    }
    const compiled = compileBulkQuery(query);
    if ("errors" in compiled) return [null, compiled.errors.map((message) => ({ field: ["query"], message, code: "INVALID" }))];
    const legacyId = nextBulkId++;
    const op: BulkOp = {
      legacyId,
      id: gid("BulkOperation", legacyId),
      shop: ctx.shop.domain,
      status: "CREATED",
      errorCode: null,
      createdAt: this.deps.now(),
      completedAt: null,
      objectCount: 0,
      rootObjectCount: 0,
      fileSize: null,
      query,
      groupObjects,
      type: "QUERY",
      filePath: path.join(this.dir, `${ctx.shop.domain}-${legacyId}.jsonl`),
      fileReady: false,
      expiresAt: null,
      partial: false,
      cancelRequested: false,
      faults: this.takeFaults(ctx.shop.domain),
      scopes: ctx.token.scopes,
    };
    this.ops.push(op);
    const t = setTimeout(() => {
      this.timers.delete(t);
      const p = this.run(op, compiled, ctx).catch((e) => {
        op.status = "FAILED";
        op.errorCode = "INTERNAL_SERVER_ERROR";
        op.completedAt = this.deps.now();
        console.error("[shopify-emulator] bulk operation crashed", e);
        this.finish(op);
      });
      this.running.add(p);
      p.finally(() => this.running.delete(p));
    }, this.deps.timing.startDelayMs);
    this.timers.add(t);
    return [op, []];
  }

  /** Validates a bulk mutation the way Shopify does (in its order) and starts it. */
  startMutation(
    ctx: RequestContext,
    mutation: string,
    stagedUploadPath: string,
    clientIdentifier?: string | null,
  ): [BulkOp | null, MutationUserError[]] {
    const fail = (message: string, code: string | null, field: string[] | null = null): [null, MutationUserError[]] => [
      null,
      [{ field, message, code }],
    ];
    const { doc, errors } = parseAndValidate(mutation);
    if (!doc) {
      const e = errors?.[0];
      if (e?.extensions?.code === "PARSE_ERROR") {
        const loc = e.locations?.[0];
        return fail(
          `Failed to parse the mutation - ${e.message.replace(/\.$/, "")}${loc ? ` at [${loc.line}, ${loc.column}]` : ""}`,
          "INVALID_MUTATION",
        );
      }
      return fail(`Invalid mutation: ${e?.message ?? "unknown error"}`, "INVALID_MUTATION");
    }
    const op = getOperation(doc);
    if (!op) return fail("You must specify a single operation.", "INVALID_MUTATION");
    if (op.operation !== "mutation") return fail("Invalid operation type. Only `mutation` operations are supported.", "INVALID_MUTATION");
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
    const top = collectFields(op.selectionSet, fragments).filter((f) => !f.name.value.startsWith("__"));
    if (top.length !== 1) return fail("You must specify a single top level mutation.", null, ["mutation"]);
    if (BULK_ONLY_ROOTS.has(top[0]!.name.value)) return fail("You must use an allowed mutation name.", null, ["mutation"]);
    // Live recording bulk-operations/bulk-operation-run-mutation-client-identifier-validation.json:
    // 10 to 255 characters, checked before the staged file is looked at.
    if (clientIdentifier != null && clientIdentifier.length < CLIENT_IDENTIFIER_MIN)
      return fail(`is too short (minimum is ${CLIENT_IDENTIFIER_MIN} characters)`, "INVALID_MUTATION", ["clientIdentifier"]);
    if (clientIdentifier != null && clientIdentifier.length > CLIENT_IDENTIFIER_MAX)
      return fail(`is too long (maximum is ${CLIENT_IDENTIFIER_MAX} characters)`, "INVALID_MUTATION", ["clientIdentifier"]);
    const active = this.ops.filter((o) => o.shop === ctx.shop.domain && o.type === "MUTATION" && isActive(o));
    if (active.length >= MAX_CONCURRENT_BULK_MUTATIONS) {
      return fail(
        `A bulk mutation operation for this app and shop is already in progress: ${active.map((o) => o.id).join(", ")}.`,
        "OPERATION_IN_PROGRESS",
      );
    }
    const upload = stagedUpload(ctx.services, stagedUploadPath);
    if (!upload || upload.shop !== ctx.shop.domain || !upload.data) {
      return fail(
        "The JSONL file could not be found. Try uploading the file again, and check that you've entered the URL correctly for the stagedUploadPath mutation argument.",
        "NO_SUCH_FILE",
      );
    }
    const text = upload.data.toString("utf8");
    if (!text.trim()) return fail("The input file is empty.", "INVALID_STAGED_UPLOAD_FILE");
    const lines: Array<Record<string, unknown>> = [];
    for (const raw of text.split(/\r?\n/)) {
      if (!raw.trim()) continue;
      let v: unknown;
      try {
        v = JSON.parse(raw);
      } catch {
        v = undefined;
      }
      if (v == null || typeof v !== "object" || Array.isArray(v))
        return fail("Unexpected file structure - expected JSONL", "INVALID_STAGED_UPLOAD_FILE");
      lines.push(v as Record<string, unknown>);
    }
    const legacyId = nextBulkId++;
    const bop: BulkOp = {
      legacyId,
      id: gid("BulkOperation", legacyId),
      shop: ctx.shop.domain,
      status: "CREATED",
      errorCode: null,
      createdAt: this.deps.now(),
      completedAt: null,
      objectCount: 0,
      rootObjectCount: 0,
      fileSize: null,
      query: mutation,
      groupObjects: false,
      type: "MUTATION",
      filePath: path.join(this.dir, `${ctx.shop.domain}-${legacyId}.jsonl`),
      fileReady: false,
      expiresAt: null,
      partial: false,
      cancelRequested: false,
      faults: this.takeFaults(ctx.shop.domain),
      scopes: ctx.token.scopes,
      stagedUploadPath,
      clientIdentifier: clientIdentifier ?? null,
      lines,
    };
    this.ops.push(bop);
    const t = setTimeout(() => {
      this.timers.delete(t);
      const p = this.runMutation(bop, doc, top[0]!.alias?.value ?? top[0]!.name.value, top[0]!.name.value, ctx).catch((e) => {
        bop.status = "FAILED";
        bop.errorCode = "INTERNAL_SERVER_ERROR";
        bop.completedAt = this.deps.now();
        console.error("[shopify-emulator] bulk mutation crashed", e);
        this.finish(bop);
      });
      this.running.add(p);
      p.finally(() => this.running.delete(p));
    }, this.deps.timing.startDelayMs);
    this.timers.add(t);
    return [bop, []];
  }

  private async runMutation(op: BulkOp, doc: import("graphql").DocumentNode, responseKey: string, field: string, reqCtx: RequestContext) {
    if (this.stopped) return;
    if (op.cancelRequested) {
      op.status = "CANCELED";
      op.completedAt = this.deps.now();
      this.finish(op);
      return;
    }
    op.status = "RUNNING";
    const shop = this.deps.shop(op.shop);
    if (!shop) throw new Error("shop vanished");
    const ctx: RequestContext = { ...reqCtx, shop };
    const fail = op.faults.find((f): f is Extract<BulkFault, { kind: "FAILED" }> => f.kind === "FAILED");
    const cancelFault = op.faults.find((f): f is Extract<BulkFault, { kind: "CANCELED" }> => f.kind === "CANCELED");
    if (fail && !fail.afterRoots && !fail.partial) {
      op.status = "FAILED";
      op.errorCode = fail.errorCode;
      op.completedAt = this.deps.now();
      this.finish(op);
      return;
    }
    const stopAt = fail ? (fail.afterRoots ?? 0) : cancelFault ? (cancelFault.afterRoots ?? 0) : Number.POSITIVE_INFINITY;
    const ws = fs.createWriteStream(op.filePath);
    let bytes = 0;
    let outcome: "done" | "failed" | "canceled" = "done";
    const lines = op.lines ?? [];
    for (let n = 0; n < lines.length; n++) {
      if (op.cancelRequested) {
        outcome = "canceled";
        break;
      }
      if (n >= stopAt) {
        outcome = fail ? "failed" : "canceled";
        break;
      }
      const variables = lines[n]!;
      const result = await runGraphQL(this.deps.registry, doc, { query: op.query, variables }, ctx);
      if (result.data) shop.logMutation(field, variables, (result.data as Record<string, unknown>)[responseKey]);
      const out: Record<string, unknown> = {};
      if (result.errors?.length)
        out.errors = result.errors.map((e) => ({
          message: e.message,
          ...(e.path ? { path: e.path } : {}),
          ...(e.extensions && Object.keys(e.extensions).length ? { extensions: e.extensions } : {}),
        }));
      if (result.data) out.data = result.data;
      out.__lineNumber = n;
      const line = JSON.stringify(out) + "\n";
      bytes += Buffer.byteLength(line);
      if (!ws.write(line)) await once(ws, "drain");
      op.objectCount++;
      op.rootObjectCount++;
      if ((n + 1) % this.deps.timing.rootsPerTick === 0) {
        await new Promise((res) => setTimeout(res, this.deps.timing.tickDelayMs));
        if (this.stopped) {
          ws.destroy();
          return;
        }
      }
    }
    ws.end();
    await once(ws, "close");
    op.fileSize = bytes;
    op.completedAt = this.deps.now();
    if (outcome === "canceled") op.status = "CANCELED";
    else if (outcome === "failed") {
      op.status = "FAILED";
      op.errorCode = fail!.errorCode;
      op.partial = fail!.partial ?? true;
      op.fileReady = op.partial;
      op.expiresAt = this.deps.now() + this.deps.timing.urlTtlMs;
    } else {
      op.status = "COMPLETED";
      op.fileReady = op.objectCount > 0;
      op.expiresAt = this.deps.now() + this.deps.timing.urlTtlMs;
      if (op.faults.some((f) => f.kind === "EXPIRED")) op.expiresAt = this.deps.now() - 1;
    }
    this.finish(op);
  }

  cancel(op: BulkOp) {
    if (op.status === "CREATED" || op.status === "RUNNING") {
      op.status = "CANCELING";
      op.cancelRequested = true;
    }
  }

  private finish(op: BulkOp) {
    const hooks = op.faults.filter((f): f is Extract<BulkFault, { kind: "webhook" }> => f.kind === "webhook");
    if (hooks.some((h) => h.mode === "never")) return;
    const payload = {
      admin_graphql_api_id: op.id,
      completed_at: op.completedAt == null || op.status === "CANCELED" ? null : iso(op.completedAt),
      created_at: iso(op.createdAt),
      error_code: op.errorCode ? op.errorCode.toLowerCase() : null,
      status: op.status.toLowerCase(),
      type: op.type.toLowerCase(),
    };
    const delayed = hooks.find((h) => h.mode === "delayed");
    this.deps.webhook(op.shop, "bulk_operations/finish", payload, {
      duplicate: hooks.some((h) => h.mode === "duplicate"),
      delayMs: delayed?.delayMs ?? (delayed ? 200 : undefined),
    });
  }

  private async run(op: BulkOp, plan: CompiledBulk, reqCtx: RequestContext) {
    if (this.stopped) return;
    if (op.cancelRequested) {
      op.status = "CANCELED";
      op.completedAt = this.deps.now();
      this.finish(op);
      return;
    }
    op.status = "RUNNING";
    const shop = this.deps.shop(op.shop);
    if (!shop) throw new Error("shop vanished");
    const ctx: RequestContext = { ...reqCtx, shop, services: { ...reqCtx.services, bulk: true } };
    const fail = op.faults.find((f): f is Extract<BulkFault, { kind: "FAILED" }> => f.kind === "FAILED");
    const cancelFault = op.faults.find((f): f is Extract<BulkFault, { kind: "CANCELED" }> => f.kind === "CANCELED");

    // Access checks: missing read scope for the root (see accessProblem).
    const denied = accessProblem(ctx, plan);
    if (denied || (fail && !fail.afterRoots && !fail.partial)) {
      op.status = "FAILED";
      op.errorCode = denied ? "ACCESS_DENIED" : fail!.errorCode;
      op.completedAt = this.deps.now();
      this.finish(op);
      return;
    }

    const ws = fs.createWriteStream(op.filePath);
    let buf = "";
    let bytes = 0;
    const flush = async () => {
      if (!buf) return;
      bytes += Buffer.byteLength(buf);
      if (!ws.write(buf)) await once(ws, "drain");
      buf = "";
    };
    const emit = (line: string) => {
      buf += line + "\n";
      op.objectCount++;
    };
    const stopAt = fail ? (fail.afterRoots ?? 0) : cancelFault ? (cancelFault.afterRoots ?? 0) : Number.POSITIVE_INFINITY;
    let deferred: string[] = [];
    let r = 0;
    let outcome: "done" | "failed" | "canceled" = "done";
    for (const root of plan.roots(ctx)) {
      if (op.cancelRequested) {
        outcome = "canceled";
        break;
      }
      if (r >= stopAt) {
        outcome = fail ? "failed" : "canceled";
        break;
      }
      const lines: string[] = [];
      const rec = execObject(this.deps.registry, plan.rootPlan, typeNameOf(root, plan.rootType), root, ctx, lines, plan.fragments);
      const parentLine = JSON.stringify(rec);
      if (op.groupObjects) {
        emit(parentLine);
        for (const l of lines) emit(l);
      } else {
        // Ungrouped output: children may come before or well after their parent.
        if (r % 4 === 3) {
          for (const l of lines) emit(l);
          emit(parentLine);
        } else if (r % 4 === 1) {
          emit(parentLine);
          deferred = lines;
          continue_();
        } else {
          emit(parentLine);
          for (const l of deferred) emit(l);
          deferred = [];
          for (const l of lines) emit(l);
        }
      }
      op.rootObjectCount++;
      r++;
      if (r % this.deps.timing.rootsPerTick === 0) {
        await flush();
        await new Promise((res) => setTimeout(res, this.deps.timing.tickDelayMs));
        if (this.stopped) {
          ws.destroy();
          return;
        }
      }
      function continue_() {
        /* children of this parent are written after the next parent */
      }
    }
    for (const l of deferred) emit(l);
    await flush();
    ws.end();
    await once(ws, "close");
    op.fileSize = bytes;
    op.completedAt = this.deps.now();
    if (outcome === "canceled") {
      op.status = "CANCELED";
    } else if (outcome === "failed") {
      op.status = "FAILED";
      op.errorCode = fail!.errorCode;
      op.partial = fail!.partial ?? true;
      op.fileReady = op.partial;
      op.expiresAt = this.deps.now() + this.deps.timing.urlTtlMs;
    } else {
      op.status = "COMPLETED";
      op.fileReady = true;
      op.expiresAt = this.deps.now() + this.deps.timing.urlTtlMs;
      if (op.faults.some((f) => f.kind === "EXPIRED")) op.expiresAt = this.deps.now() - 1;
      if (op.objectCount === 0) op.fileReady = false; // Shopify returns url: null for empty results
    }
    this.finish(op);
  }

  async idle() {
    while (this.timers.size || this.running.size) {
      await Promise.allSettled([...this.running]);
      if (this.timers.size) await new Promise((r) => setTimeout(r, 5));
    }
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------- compile & execute bulk queries ----------------

interface PlanField {
  cache?: Map<string, (source: any, ctx: RequestContext) => unknown>;
  key: string;
  name: string;
  args: Record<string, unknown>;
  kind: "leaf" | "object" | "connection";
  list: boolean;
  plan?: Plan;
  nodeType?: GraphQLNamedType;
}
type Plan = PlanField[];
interface CompiledBulk {
  rootField: string;
  rootArgs: Record<string, unknown>;
  rootType: GraphQLNamedType;
  rootPlan: Plan;
  fragments: Record<string, FragmentDefinitionNode>;
  roots: (ctx: RequestContext) => Iterable<any>;
}

function isConnection(t: GraphQLNamedType): boolean {
  return isObjectType(t) && t.name.endsWith("Connection") && !!t.getFields().edges && !!t.getFields().pageInfo;
}

function collectFields(
  sel: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  out: FieldNode[] = [],
): FieldNode[] {
  if (!sel) return out;
  for (const s of sel.selections) {
    if (s.kind === Kind.FIELD) out.push(s);
    else if (s.kind === Kind.INLINE_FRAGMENT) collectFields(s.selectionSet, fragments, out);
    else {
      const f = fragments[s.name.value];
      if (f) collectFields(f.selectionSet, fragments, out);
    }
  }
  return out;
}

function nodeTypeOf(conn: GraphQLNamedType): GraphQLNamedType {
  const f = (conn as any).getFields();
  const edgeType = getNamedType(f.edges.type) as any;
  return getNamedType(f.nodes?.type ?? edgeType.getFields().node.type) as unknown as GraphQLNamedType;
}

/** Selection inside a connection: merge `nodes { ... }` and `edges { node { ... } }`. */
function connectionNodeSelection(field: FieldNode, fragments: Record<string, FragmentDefinitionNode>): FieldNode[] {
  const out: FieldNode[] = [];
  for (const g of collectFields(field.selectionSet, fragments)) {
    if (g.name.value === "nodes") out.push(...collectFields(g.selectionSet, fragments));
    if (g.name.value === "edges")
      for (const e of collectFields(g.selectionSet, fragments))
        if (e.name.value === "node") out.push(...collectFields(e.selectionSet, fragments));
  }
  return out;
}

/**
 * Validates a bulk query the way Shopify does. Messages, codes and order come from the live
 * recordings bulk-operations/bulk-operation-run-query-validators.json and
 * bulk-operation-run-query-user-error-codes.json (2026-04); each problem is one userError.
 */
function compileBulkQuery(query: string): CompiledBulk | { errors: string[] } {
  const { doc, errors } = parseAndValidate(query);
  if (!doc) return { errors: [`Invalid bulk query: ${errors?.[0]?.message ?? "unparseable"}`] };
  const op = getOperation(doc);
  if (!op) return { errors: ["Invalid bulk query: exactly one operation is required"] };
  if (op.operation !== "query") return { errors: ["Invalid operation type. Only `query` operations are supported."] };
  if (op.variableDefinitions?.length) return { errors: ["Bulk queries cannot use variables."] };
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const schema = adminSchema();
  const top = collectFields(op.selectionSet, fragments).filter((f) => !f.name.value.startsWith("__"));
  if (top.length !== 1) return { errors: ["Bulk queries must contain exactly one top-level field."] };
  const rootNode = top[0]!;
  if (rootNode.name.value === "node" || rootNode.name.value === "nodes") {
    return {
      errors: [
        `Bulk queries cannot contain a top level \`${rootNode.name.value}\` field.`,
        "Bulk queries must contain at least one connection.",
      ],
    };
  }
  const rootDef = schema.getQueryType()!.getFields()[rootNode.name.value]!;
  const rootConnType = getNamedType(rootDef.type);
  if (!isConnection(rootConnType)) return { errors: ["Bulk queries must contain at least one connection."] };
  let connections = 1;
  let problem: string | undefined;
  /** Connections selected through `nodes` (Shopify: only `edges { node }` is allowed in bulk). */
  const viaNodes: string[] = [];
  /** Connections whose node has a nested connection but no un-aliased `id`. */
  const withoutId: string[] = [];
  const checkConnection = (f: FieldNode, nodeSel: FieldNode[], nodeType: GraphQLNamedType) => {
    if (collectFields(f.selectionSet, fragments).some((g) => g.name.value === "nodes")) viaNodes.push(f.name.value);
    const hasNested = nodeSel.some((g) => {
      const def = isObjectType(nodeType) || isInterfaceType(nodeType) ? nodeType.getFields()[g.name.value] : undefined;
      return !!def && isConnection(getNamedType(def.type));
    });
    const hasId = nodeSel.some((g) => g.name.value === "id" && !g.alias);
    if (hasNested && !hasId) withoutId.push(f.name.value);
  };

  const compile = (fields: FieldNode[], parent: GraphQLNamedType, depth: number, insideList: boolean): Plan => {
    const plan: Plan = [];
    for (const f of fields) {
      const name = f.name.value;
      if (name === "__typename") {
        plan.push({ key: f.alias?.value ?? name, name, args: {}, kind: "leaf", list: false });
        continue;
      }
      let def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
      if (!def)
        for (const t of schema.getPossibleTypes(parent as any)) {
          def = t.getFields()[name];
          if (def) break;
        }
      if (!def) continue;
      const named = getNamedType(def.type);
      const args = getArgumentValues(def, f, {});
      const key = f.alias?.value ?? name;
      if (isLeafType(named)) {
        plan.push({ key, name, args, kind: "leaf", list: isListOutput(def.type) });
        continue;
      }
      if (isConnection(named)) {
        connections++;
        if (insideList) problem = "Queries that contain a connection field within a list field are not currently supported.";
        if (depth >= 2) problem = "Bulk queries cannot contain connections with a nesting depth greater than 2.";
        const nodeType = nodeTypeOf(named);
        const sel = connectionNodeSelection(f, fragments);
        checkConnection(f, sel, nodeType);
        plan.push({ key, name, args, kind: "connection", list: false, nodeType, plan: compile(sel, nodeType, depth + 1, false) });
        continue;
      }
      const list = isListOutput(def.type);
      plan.push({
        key,
        name,
        args,
        kind: "object",
        list,
        nodeType: named,
        plan: compile(collectFields(f.selectionSet, fragments), named, depth, insideList || list),
      });
    }
    return plan;
  };
  const rootArgs = getArgumentValues(rootDef, rootNode, {});
  const rootType = nodeTypeOf(rootConnType);
  const rootSel = connectionNodeSelection(rootNode, fragments);
  checkConnection(rootNode, rootSel, rootType);
  const rootPlan = compile(rootSel, rootType, 1, false);
  if (connections > 5) return { errors: ["Bulk queries cannot contain more than 5 connections."] };
  if (problem) return { errors: [problem] };
  const out: string[] = [];
  if (viaNodes.length) {
    out.push(
      `All connection fields in a bulk query must select their contents using 'edges' > 'node', e.g: '${viaNodes[0]} { edges { node {'. Selecting via 'nodes' is not supported. Invalid connection fields: '${viaNodes.join("', '")}'.`,
    );
  }
  if (withoutId.length) {
    out.push(
      `The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'ID' return type. Connection fields without 'id': ${withoutId.join(", ")}.`,
    );
  }
  if (out.length) return { errors: out };
  const rootField = rootNode.name.value;
  return {
    rootField,
    rootArgs,
    rootType,
    rootPlan,
    fragments,
    roots: (ctx) => rootsFor(ctx, rootField, rootArgs),
  };
}

function isListOutput(t: GraphQLOutputType): boolean {
  const inner = isNonNullType(t) ? t.ofType : t;
  return isListType(inner);
}

function typeNameOf(v: any, fallback: GraphQLNamedType): string {
  return v && typeof v === "object" && typeof v.__typename === "string" ? v.__typename : fallback.name;
}

let activeRegistry: Registry | undefined;

function* rootsFor(ctx: RequestContext, field: string, args: any): Iterable<any> {
  const src = activeRegistry?.bulkSources.get(field);
  if (src) {
    yield* src(ctx, args);
    return;
  }
  const conn: any = resolveField(activeRegistry!, "QueryRoot", field, {}, { ...args }, ctx, null);
  yield* conn.nodes;
}

/**
 * A bulk query fails ACCESS_DENIED only when the token lacks the root's read scope, or (protected
 * customer data not approved at all) the root is customers. Missing read_all_orders is NOT an access
 * problem: Shopify silently limits the app to the last 60 days of orders (shopify.dev, "Orders older
 * than 60 days" under access scopes / read_all_orders), which the orders source already applies.
 */
function accessProblem(ctx: RequestContext, plan: CompiledBulk): boolean {
  const scopeFor: Record<string, string> = { orders: "read_orders", customers: "read_customers", products: "read_products" };
  const need = scopeFor[plan.rootField];
  if (need && !hasScope(ctx.token.scopes, need)) return true;
  if (plan.rootField === "customers" && customerObjectDenied(ctx)) return true;
  return false;
}

/** Per (field, parent type) resolver, looked up once per bulk operation plan. */
function fieldFn(registry: Registry, f: PlanField, typeName: string): (source: any, ctx: RequestContext) => unknown {
  f.cache ??= new Map();
  let fn = f.cache.get(typeName);
  if (!fn) {
    const r = registry.resolvers.get(`${typeName}.${f.name}`);
    const name = f.name;
    fn =
      r && !r.scope
        ? (source, ctx) => r.fn(source, { ...f.args }, ctx, null)
        : (source, ctx) =>
            r || !(source != null && typeof source === "object" && name in source)
              ? resolveField(registry, typeName, name, source, { ...f.args }, ctx, null)
              : source[name];
    f.cache.set(typeName, fn);
  }
  return fn;
}

function execObject(
  registry: Registry,
  plan: Plan,
  typeName: string,
  source: any,
  ctx: RequestContext,
  childLines: string[],
  fragments: Record<string, FragmentDefinitionNode>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const restricted = !fullyApproved(ctx.shop.protectedCustomerData);
  for (const f of plan) {
    if (f.name === "__typename") {
      out[f.key] = typeName;
      continue;
    }
    if (restricted) {
      // Unapproved protected customer data is redacted in the JSONL as in a normal response (null;
      // displayName masked). A bulk file has no per-field errors to carry the reason.
      const rule = protectedRule(ctx, typeName, f.name, f.nodeType as GraphQLOutputType | undefined);
      if (rule === "mask") {
        out[f.key] = MASKED_DISPLAY_NAME;
        continue;
      }
      if (rule === "deny") {
        if (f.kind !== "connection") out[f.key] = null;
        continue;
      }
    }
    if (f.kind === "connection") {
      const conn: any = fieldFn(registry, f, typeName)(source, ctx);
      const parentId = source.id;
      for (const child of conn.nodes as any[]) {
        const nested: string[] = [];
        const rec = execObject(registry, f.plan!, typeNameOf(child, f.nodeType!), child, ctx, nested, fragments);
        rec.__parentId = parentId;
        childLines.push(JSON.stringify(rec));
        for (const l of nested) childLines.push(l);
      }
      continue;
    }
    const v = fieldFn(registry, f, typeName)(source, ctx);
    if (f.kind === "leaf" || v == null) {
      out[f.key] = v ?? null;
      continue;
    }
    if (f.list)
      out[f.key] = (v as any[]).map((x) =>
        x == null ? null : execObject(registry, f.plan!, typeNameOf(x, f.nodeType!), x, ctx, childLines, fragments),
      );
    else out[f.key] = execObject(registry, f.plan!, typeNameOf(v, f.nodeType!), v, ctx, childLines, fragments);
  }
  return out;
}

// ---------------- module ----------------

function service(ctx: RequestContext): BulkService {
  return ctx.services.bulkService as BulkService;
}

export const bulkModule: EmulatorModule = {
  name: "bulk",
  register(r) {
    activeRegistry = r;
    r.bulkSource("orders", function* (ctx, a) {
      const { items } = selectOrders(ctx, a.query, a.sortKey ?? "PROCESSED_AT");
      const rev = !!a.reverse;
      for (let k = 0; k < items.length; k++) yield ctx.shop.orderView(items[rev ? items.length - 1 - k : k]!);
    });
    r.bulkSource("customers", function* (ctx, a) {
      const { items } = selectCustomers(ctx, a.query, a.sortKey ?? "ID");
      const rev = !!a.reverse;
      for (let k = 0; k < items.length; k++) yield ctx.shop.customerView(items[rev ? items.length - 1 - k : k]!);
    });
    r.field("Mutation", "bulkOperationRunQuery", (_s, a: { query: string; groupObjects: boolean }, ctx) => {
      const [op, userErrors] = service(ctx).start(ctx, a.query, a.groupObjects ?? false);
      ctx.shop.logMutation("bulkOperationRunQuery", { query: a.query, groupObjects: a.groupObjects }, op ? { id: op.id } : { userErrors });
      return {
        __typename: "BulkOperationRunQueryPayload",
        bulkOperation: op ? service(ctx).view(op) : null,
        userErrors: userErrors.map((e) => ({ __typename: "BulkOperationUserError", ...e })),
      };
    });
    r.field(
      "Mutation",
      "bulkOperationRunMutation",
      (_s, a: { mutation: string; stagedUploadPath: string; clientIdentifier?: string | null }, ctx) => {
        const [op, userErrors] = service(ctx).startMutation(ctx, a.mutation, a.stagedUploadPath, a.clientIdentifier);
        return {
          __typename: "BulkOperationRunMutationPayload",
          bulkOperation: op ? service(ctx).view(op) : null,
          userErrors: userErrors.map((e) => ({ __typename: "BulkMutationUserError", ...e })),
        };
      },
    );
    r.field("Mutation", "bulkOperationCancel", (_s, a: { id: string }, ctx) => {
      const svc = service(ctx);
      const op = svc.ops.find((o) => o.id === a.id && o.shop === ctx.shop.domain);
      if (!op)
        return {
          __typename: "BulkOperationCancelPayload",
          bulkOperation: null,
          userErrors: [{ __typename: "UserError", field: ["id"], message: "Bulk operation does not exist" }],
        };
      if (!(op.status === "CREATED" || op.status === "RUNNING")) {
        return {
          __typename: "BulkOperationCancelPayload",
          bulkOperation: svc.view(op),
          userErrors: [
            { __typename: "UserError", field: null, message: `A bulk operation cannot be canceled when it is ${op.status.toLowerCase()}` },
          ],
        };
      }
      svc.cancel(op);
      return { __typename: "BulkOperationCancelPayload", bulkOperation: svc.view(op), userErrors: [] };
    });
    r.field("QueryRoot", "bulkOperation", (_s, a: { id: string }, ctx) => {
      const op = service(ctx).ops.find((o) => o.id === a.id && o.shop === ctx.shop.domain);
      return op ? service(ctx).view(op) : null;
    });
    nodeResolvers.set("BulkOperation", (ctx, _id, g) => {
      const op = service(ctx).ops.find((o) => o.id === g && o.shop === ctx.shop.domain);
      return op ? service(ctx).view(op) : null;
    });
    r.field("QueryRoot", "currentBulkOperation", (_s, a: { type: string }, ctx) => {
      const type = a.type ?? "QUERY";
      const ops = service(ctx).ops.filter((o) => o.shop === ctx.shop.domain && o.type === type);
      const op = ops[ops.length - 1];
      return op ? service(ctx).view(op) : null;
    });
    r.field("QueryRoot", "bulkOperations", (_s, a: ConnectionArgs & { query?: string; sortKey: string }, ctx) => {
      const svc = service(ctx);
      const ops = svc.ops.filter((o) => o.shop === ctx.shop.domain);
      const statusFilter = /status:(\w+)/i.exec(a.query ?? "")?.[1]?.toUpperCase();
      const idx = ops.map((_, i) => i).filter((i) => !statusFilter || svc.view(ops[i]!).status === statusFilter);
      return connection(
        Int32Array.from(idx),
        a,
        (i) => ops[i]!.createdAt,
        (i) => ops[i]!.legacyId,
        (i) => svc.view(ops[i]!),
      );
    });
  },
};
