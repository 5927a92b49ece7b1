// Customer marketing for win-back campaigns: customer tags, segments (ShopifyQL subset, evaluated
// live), email marketing consent, Flow triggers and staged uploads (the GCS-style target that bulk
// mutations read their variables from). Error texts follow Shopify's (see ADR 021 for sources).
import crypto from "node:crypto";
import { GraphQLError } from "graphql";
import { connection, type ConnectionArgs } from "../connection";
import type { EmulatorModule, RequestContext, RouteContext } from "../engine";
import { loadFlowTriggers, payloadProblems, schemaError } from "../flow-extensions";
import { EMAIL_STATES, OPT_IN_LEVELS } from "../generator";
import { nodeResolvers } from "../nodes";
import { SegmentQueryError, matchesSegment, parseSegmentQuery, type SegmentExpr } from "../segment-query";
import { gid, iso, parseGid, type ShopState } from "../state";
import type { Webhooks } from "../webhooks";

export const MAX_CUSTOMER_TAGS = 250;
export const FLOW_PAYLOAD_LIMIT_BYTES = 50_000;
export const STAGED_UPLOAD_MAX_BYTES = 100 * 1024 * 1024;
const SEGMENT_NAME_MAX = 255;
const SEGMENT_QUERY_MAX = 5000;

type UserError = { __typename?: string; field: string[] | null; message: string; code?: string | null };

function deliverCustomerUpdate(ctx: RequestContext, c: number) {
  (ctx.services.webhooks as Webhooks | undefined)?.deliver(ctx.shop.domain, "customers/update", ctx.shop.customerPayload(c));
}

// ---------------- tags ----------------

/**
 * Tags the app added through tagsAdd (calls or bulk lines), per customer index. Not Shopify state:
 * the simulated shoppers (shoppers.ts) read it to know which customers the app contacted, e.g. an
 * experiment's perk arm, whose members get a tag and emails but no code.
 */
const appAddedTags = new WeakMap<ShopState, Map<number, Set<string>>>();
export function tagsAddedByApp(shop: ShopState): ReadonlyMap<number, ReadonlySet<string>> {
  return appAddedTags.get(shop) ?? new Map();
}

/** Shopify splits each entry on commas, trims, drops blanks and dedupes case-insensitively. */
export function normalizeTags(input: string[] | string): string[] {
  const list = Array.isArray(input) ? input : [input];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const entry of list) {
    for (const raw of String(entry).split(",")) {
      const t = raw.trim();
      if (!t || seen.has(t.toLowerCase())) continue;
      seen.add(t.toLowerCase());
      out.push(t);
    }
  }
  return out;
}

function tagsMutation(ctx: RequestContext, id: string, tags: string[], mode: "add" | "remove") {
  const payload = mode === "add" ? "TagsAddPayload" : "TagsRemovePayload";
  const parsed = parseGid(id);
  if (!parsed)
    return { __typename: payload, node: null, userErrors: [{ __typename: "UserError", field: ["id"], message: "Invalid global id" }] };
  if (parsed.type !== "Customer")
    throw new GraphQLError(`tags${mode === "add" ? "Add" : "Remove"} on ${parsed.type} is not implemented by the Shopify emulator`, {
      extensions: { code: "NOT_IMPLEMENTED" },
    });
  const c = ctx.shop.customerIndexFromId(id);
  if (c < 0)
    return {
      __typename: payload,
      node: null,
      userErrors: [{ __typename: "UserError", field: ["id"], message: "Customer does not exist" }],
    };
  const wanted = normalizeTags(tags);
  const tooLong = wanted.find((t) => t.length > 255);
  if (tooLong)
    return {
      __typename: payload,
      node: null,
      userErrors: [{ __typename: "UserError", field: ["tags"], message: "Tags is too long (maximum is 255 characters)" }],
    };
  const current = ctx.shop.data.customers.tags[c] ?? [];
  let next: string[];
  if (mode === "add") {
    const have = new Set(current.map((t) => t.toLowerCase()));
    next = [...current, ...wanted.filter((t) => !have.has(t.toLowerCase()))];
    if (next.length > MAX_CUSTOMER_TAGS)
      return {
        __typename: payload,
        node: null,
        userErrors: [{ __typename: "UserError", field: ["tags"], message: `Tags cannot be more than ${MAX_CUSTOMER_TAGS}` }],
      };
  } else {
    const drop = new Set(wanted.map((t) => t.toLowerCase()));
    next = current.filter((t) => !drop.has(t.toLowerCase()));
  }
  if (mode === "add") {
    const byCustomer = appAddedTags.get(ctx.shop) ?? new Map<number, Set<string>>();
    appAddedTags.set(ctx.shop, byCustomer);
    const mine = byCustomer.get(c) ?? new Set<string>();
    for (const t of wanted) mine.add(t.toLowerCase());
    byCustomer.set(c, mine);
  }
  // Shopify only bumps updated_at and sends customers/update when the tag set actually changed.
  if (next.length !== current.length) {
    ctx.shop.updateCustomer(c, { tags: next });
    deliverCustomerUpdate(ctx, c);
  }
  return { __typename: payload, node: ctx.shop.customerView(c), userErrors: [] };
}

// ---------------- segments ----------------

export interface SegmentRec {
  legacyId: number;
  id: string;
  name: string;
  query: string;
  creationDate: string;
  lastEditDate: string;
  expr: SegmentExpr;
}

let nextSegmentId = 610_000_000_000;

export function segmentsOf(shop: ShopState): SegmentRec[] {
  return shop.store("segments", () => [] as SegmentRec[]);
}

export function findSegment(shop: ShopState, id: string): SegmentRec | undefined {
  return segmentsOf(shop).find((s) => s.id === id);
}

function segmentView(s: SegmentRec) {
  return { __typename: "Segment", id: s.id, name: s.name, query: s.query, creationDate: s.creationDate, lastEditDate: s.lastEditDate };
}

function validateSegment(name: string | undefined, query: string | undefined): { errors: UserError[]; expr?: SegmentExpr } {
  const errors: UserError[] = [];
  if (name !== undefined) {
    if (!name.trim()) errors.push({ field: ["name"], message: "Name can't be blank" });
    else if (name.length > SEGMENT_NAME_MAX)
      errors.push({ field: ["name"], message: `Name is too long (maximum is ${SEGMENT_NAME_MAX} characters)` });
  }
  let expr: SegmentExpr | undefined;
  if (query !== undefined) {
    if (!query.trim()) errors.push({ field: ["query"], message: "Query can't be blank" });
    else if (query.length > SEGMENT_QUERY_MAX)
      errors.push({ field: ["query"], message: `Query is too long (maximum is ${SEGMENT_QUERY_MAX} characters)` });
    else {
      try {
        expr = parseSegmentQuery(query);
      } catch (e) {
        if (!(e instanceof SegmentQueryError)) throw e;
        errors.push({ field: ["query"], message: e.message });
      }
    }
  }
  return { errors, expr };
}

/** Shopify does not reject a duplicate segment name; it appends " (2)", " (3)", ... */
function uniqueSegmentName(shop: ShopState, name: string, self?: SegmentRec): string {
  const taken = new Set(
    segmentsOf(shop)
      .filter((s) => s !== self)
      .map((s) => s.name),
  );
  if (!taken.has(name)) return name;
  for (let n = 2; ; n++) if (!taken.has(`${name} (${n})`)) return `${name} (${n})`;
}

function segmentMembers(ctx: RequestContext, expr: SegmentExpr): number[] {
  const shop = ctx.shop;
  const cs = shop.data.customers;
  const out: number[] = [];
  for (let c = 0; c < cs.length; c++) if (!cs.deleted.has(c) && matchesSegment(shop, c, expr)) out.push(c);
  return out;
}

function memberView(shop: ShopState, c: number) {
  const v = shop.customerView(c);
  const orders = shop.ordersOfCustomer(c);
  const last = orders.length ? orders[orders.length - 1]! : -1;
  return {
    __typename: "CustomerSegmentMember",
    id: gid("CustomerSegmentMember", v.legacyId),
    firstName: v.firstName,
    lastName: v.lastName,
    displayName: v.displayName,
    note: null,
    numberOfOrders: v.numberOfOrders,
    amountSpent: { __typename: "MoneyV2", amount: (v._spentCents / 100).toFixed(2), currencyCode: shop.data.currencyCode },
    lastOrderId: last >= 0 ? gid("Order", shop.orderLegacyId(last)) : null,
    defaultEmailAddress: v.email
      ? {
          __typename: "CustomerEmailAddress",
          emailAddress: v.email,
          marketingState: v._emailState === "REDACTED" ? "NOT_SUBSCRIBED" : v._emailState,
          marketingOptInLevel: v._emailOptIn,
          marketingUpdatedAt: v._emailConsentAt,
          validFormat: true,
          openTrackingLevel: "OPTED_IN",
        }
      : null,
    defaultPhoneNumber: v.phone
      ? {
          __typename: "CustomerPhoneNumber",
          phoneNumber: v.phone,
          marketingState: v._smsState,
          marketingOptInLevel: "SINGLE_OPT_IN",
          marketingUpdatedAt: v._smsConsentAt,
          marketingCollectedFrom: "OTHER",
        }
      : null,
  };
}

// ---------------- email consent ----------------

interface ConsentInput {
  customerId: string;
  emailMarketingConsent: { marketingState: string; marketingOptInLevel?: string | null; consentUpdatedAt?: string | null };
}

function consentUpdate(ctx: RequestContext, input: ConsentInput) {
  const P = "CustomerEmailMarketingConsentUpdatePayload";
  const E = "CustomerEmailMarketingConsentUpdateUserError";
  const consent = input.emailMarketingConsent;
  if (consent.marketingState === "NOT_SUBSCRIBED" || consent.marketingState === "REDACTED" || consent.marketingState === "INVALID") {
    // Shopify answers these with a top-level error, not a userError.
    throw new GraphQLError(`Cannot specify ${consent.marketingState} as a marketing state input`, { extensions: { code: "INVALID" } });
  }
  const c = ctx.shop.customerIndexFromId(input.customerId);
  if (c < 0)
    return {
      __typename: P,
      customer: null,
      userErrors: [{ __typename: E, field: ["input", "customerId"], message: "Customer not found", code: "INVALID" }],
    };
  const view = ctx.shop.customerView(c);
  // Live recording customers/customer-email-marketing-consent-update-parity.json (2026-04): an update
  // without marketingOptInLevel is refused with MISSING_ARGUMENT, the customer comes back unchanged.
  if (consent.marketingOptInLevel == null) {
    return {
      __typename: P,
      customer: view,
      userErrors: [
        {
          __typename: E,
          field: ["input", "emailMarketingConsent", "marketingOptInLevel"],
          message: "Marketing opt in level must exist",
          code: "MISSING_ARGUMENT",
        },
      ],
    };
  }
  // A customer without an email address has nothing to consent for: Shopify returns it unchanged.
  if (!view.email) return { __typename: P, customer: view, userErrors: [] };
  const at = consent.consentUpdatedAt ? Date.parse(consent.consentUpdatedAt) : ctx.now();
  if (at > ctx.now())
    return {
      __typename: P,
      customer: view,
      userErrors: [
        {
          __typename: E,
          field: ["input", "emailMarketingConsent", "consentUpdatedAt"],
          message: "Consent updated at must not be in the future",
          code: "INVALID",
        },
      ],
    };
  const level = consent.marketingOptInLevel;
  if (consent.marketingState === "PENDING" && level !== "CONFIRMED_OPT_IN") {
    return {
      __typename: P,
      customer: view,
      userErrors: [
        {
          __typename: E,
          field: ["input", "emailMarketingConsent", "marketingOptInLevel"],
          message: "Marketing opt in level must be confirmed opt-in for pending consent state",
          code: "INVALID",
        },
      ],
    };
  }
  const cs = ctx.shop.data.customers;
  const changed =
    EMAIL_STATES[cs.emailState[c]!] !== consent.marketingState || OPT_IN_LEVELS[cs.emailOptIn[c]!] !== level || cs.emailConsentAt[c] !== at;
  if (changed) {
    ctx.shop.updateCustomer(c, {
      emailMarketingState: consent.marketingState as (typeof EMAIL_STATES)[number],
      emailOptInLevel: level as (typeof OPT_IN_LEVELS)[number],
    });
    cs.emailConsentAt[c] = at;
    ctx.shop
      .store("consentChanges", () => [] as unknown[])
      .push({
        at: iso(ctx.now()),
        customerId: view.id,
        marketingState: consent.marketingState,
        marketingOptInLevel: level,
        consentUpdatedAt: iso(at),
      });
    deliverCustomerUpdate(ctx, c);
  }
  return { __typename: P, customer: ctx.shop.customerView(c), userErrors: [] };
}

// ---------------- Flow triggers ----------------

function flowTrigger(ctx: RequestContext, a: { handle?: string | null; payload?: unknown; body?: string | null }) {
  const P = "FlowTriggerReceivePayload";
  const err = (field: string[], message: string) => ({ __typename: P, userErrors: [{ __typename: "UserError", field, message }] });
  if (a.body != null && (a.handle != null || a.payload != null))
    return err(["body"], "Cannot use `handle` and `payload` arguments with `body` argument");
  if (a.body != null)
    throw new GraphQLError("flowTriggerReceive(body:) (deprecated) is not implemented by the Shopify emulator", {
      extensions: { code: "NOT_IMPLEMENTED" },
    });
  if (!a.handle || a.payload == null) return err(["handle"], "`handle` and `payload` arguments are required");
  const size = Buffer.byteLength(JSON.stringify(a.payload));
  if (size > FLOW_PAYLOAD_LIMIT_BYTES)
    return err(["body"], `Errors validating schema:\n  Properties size exceeds the limit of ${FLOW_PAYLOAD_LIMIT_BYTES} bytes.\n`);
  if (typeof a.payload !== "object" || Array.isArray(a.payload))
    return err(["body"], "Errors validating schema:\n  Properties must be a JSON object.\n");
  // Only handles of deployed trigger extensions exist (flow-extensions.ts); an extension the CLI would
  // refuse to deploy (unsupported field type) is unknown to Shopify, so its handle is invalid too.
  const trigger = loadFlowTriggers(String(ctx.services.extensionsDir)).deployed.get(a.handle);
  if (!trigger) return err(["body"], schemaError([`Invalid handle '${a.handle}'.`]));
  const problems = payloadProblems(trigger, a.payload as Record<string, unknown>);
  if (problems.length) return err(["body"], schemaError(problems));
  ctx.shop.store("flowTriggers", () => [] as unknown[]).push({ at: iso(ctx.now()), handle: a.handle, payload: a.payload, bytes: size });
  return { __typename: P, userErrors: [] };
}

// ---------------- staged uploads ----------------

export interface StagedUpload {
  key: string;
  shop: string;
  filename: string;
  mimeType: string;
  httpMethod: "POST" | "PUT";
  createdAt: number;
  expiresAt: number;
  signature: string;
  data?: Buffer;
  uploadedAt?: number;
}

// One map per emulator (its shared `services`: resolvers and the upload route see the same one),
// keyed by the random object key because the upload route has no shop in its path.
function uploadsOf(services: Record<string, unknown>): Map<string, StagedUpload> {
  return services.stagedUploads as Map<string, StagedUpload>;
}
export function stagedUpload(services: Record<string, unknown>, key: string): StagedUpload | undefined {
  return uploadsOf(services).get(key);
}

const STAGED_TTL_MS = 86_400_000;

function stagedUploadsCreate(
  ctx: RequestContext,
  input: Array<{ filename: string; mimeType: string; resource: string; httpMethod?: string; fileSize?: string | null }>,
) {
  const P = "StagedUploadsCreatePayload";
  const base = String(ctx.services.baseUrl ?? "");
  const targets: unknown[] = [];
  const userErrors: UserError[] = [];
  input.forEach((f, i) => {
    if (f.resource !== "BULK_MUTATION_VARIABLES") {
      throw new GraphQLError(`stagedUploadsCreate for resource ${f.resource} is not implemented by the Shopify emulator`, {
        extensions: { code: "NOT_IMPLEMENTED" },
      });
    }
    if (f.fileSize != null && Number(f.fileSize) > STAGED_UPLOAD_MAX_BYTES) {
      userErrors.push({
        __typename: "UserError",
        field: ["input", String(i), "fileSize"],
        message: `File size must be less than or equal to ${STAGED_UPLOAD_MAX_BYTES} bytes`,
      });
      return;
    }
    const method = (f.httpMethod ?? "PUT") as "POST" | "PUT";
    const shopNo = 60_000_000_000 + (hash(ctx.shop.domain) % 1_000_000);
    const key = `tmp/${shopNo}/bulk/${crypto.randomUUID()}/${f.filename}`;
    const expiresAt = ctx.now() + STAGED_TTL_MS;
    const signature = crypto.randomBytes(32).toString("hex");
    const rec: StagedUpload = {
      key,
      shop: ctx.shop.domain,
      filename: f.filename,
      mimeType: f.mimeType,
      httpMethod: method,
      createdAt: ctx.now(),
      expiresAt,
      signature,
    };
    uploadsOf(ctx.services).set(key, rec);
    ctx.shop.store("stagedUploads", () => [] as unknown[]).push(uploadSummary(rec));
    const objectUrl = `${base}/staged-uploads/${key}`;
    if (method === "POST") {
      targets.push({
        __typename: "StagedMediaUploadTarget",
        url: `${base}/staged-uploads/`,
        resourceUrl: objectUrl,
        parameters: [
          ["Content-Type", f.mimeType],
          ["success_action_status", "201"],
          ["acl", "private"],
          ["key", key],
          ["x-goog-date", iso(ctx.now()).replace(/[-:]/g, "")],
          ["x-goog-credential", "emulator@shopify-emulator/storage/goog4_request"],
          ["x-goog-algorithm", "GOOG4-HMAC-SHA256"],
          ["x-goog-signature", signature],
          ["policy", Buffer.from(JSON.stringify({ key, expiration: iso(expiresAt) })).toString("base64")],
        ].map(([name, value]) => ({ __typename: "StagedUploadParameter", name, value })),
      });
    } else {
      const signed = `${objectUrl}?X-Goog-Expires=${Math.floor(expiresAt / 1000)}&X-Goog-Signature=${signature}`;
      targets.push({
        __typename: "StagedMediaUploadTarget",
        url: signed,
        resourceUrl: signed,
        parameters: [
          { __typename: "StagedUploadParameter", name: "content_type", value: f.mimeType },
          { __typename: "StagedUploadParameter", name: "acl", value: "private" },
        ],
      });
    }
  });
  return { __typename: P, stagedTargets: userErrors.length ? null : targets, userErrors };
}

function uploadSummary(u: StagedUpload) {
  return {
    key: u.key,
    filename: u.filename,
    mimeType: u.mimeType,
    httpMethod: u.httpMethod,
    createdAt: iso(u.createdAt),
    uploadedAt: u.uploadedAt ? iso(u.uploadedAt) : null,
    bytes: u.data?.length ?? null,
  };
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) >>> 0;
  return h;
}

/** Minimal multipart/form-data parser (fields and one file), enough for a GCS-style POST policy upload. */
export function parseMultipart(body: Buffer, contentType: string): Map<string, { value: Buffer; filename?: string }> {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!m) throw new Error("missing multipart boundary");
  const boundary = Buffer.from(`--${m[1] ?? m[2]}`);
  const out = new Map<string, { value: Buffer; filename?: string }>();
  let pos = body.indexOf(boundary);
  while (pos >= 0) {
    let start = pos + boundary.length;
    if (body.slice(start, start + 2).toString() === "--") break;
    if (body.slice(start, start + 2).toString() === "\r\n") start += 2;
    const headerEnd = body.indexOf("\r\n\r\n", start);
    if (headerEnd < 0) break;
    const headers = body.slice(start, headerEnd).toString("utf8");
    const next = body.indexOf(boundary, headerEnd + 4);
    if (next < 0) break;
    let end = next;
    if (body[end - 2] === 13 && body[end - 1] === 10) end -= 2;
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    if (name != null) out.set(name, { value: body.slice(headerEnd + 4, end), filename });
    pos = next;
  }
  return out;
}

function xmlError(ctx: RouteContext, status: number, code: string, message: string) {
  ctx.res.writeHead(status, { "Content-Type": "application/xml; charset=UTF-8" });
  ctx.res.end(`<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

function storeUpload(ctx: RouteContext, rec: StagedUpload, data: Buffer) {
  rec.data = data;
  rec.uploadedAt = ctx.now();
  const shop = ctx.shop(rec.shop);
  const list = shop?.store("stagedUploads", () => [] as ReturnType<typeof uploadSummary>[]) as
    ReturnType<typeof uploadSummary>[] | undefined;
  const i = list?.findIndex((u) => u.key === rec.key) ?? -1;
  if (list && i >= 0) list[i] = uploadSummary(rec);
}

async function handlePostUpload(ctx: RouteContext) {
  const raw = await ctx.body();
  let form: Map<string, { value: Buffer; filename?: string }>;
  try {
    form = parseMultipart(raw, String(ctx.req.headers["content-type"] ?? ""));
  } catch {
    return xmlError(ctx, 400, "InvalidArgument", "Invalid multipart/form-data body.");
  }
  const key = form.get("key")?.value.toString("utf8") ?? "";
  const rec = uploadsOf(ctx.services).get(key);
  const sig = form.get("x-goog-signature")?.value.toString("utf8");
  if (!rec || rec.httpMethod !== "POST" || sig !== rec.signature)
    return xmlError(ctx, 403, "AccessDenied", "Invalid according to Policy: Policy Condition failed.");
  if (ctx.now() > rec.expiresAt) return xmlError(ctx, 400, "InvalidPolicyDocument", "Invalid according to Policy: Policy expired.");
  const file = form.get("file");
  if (!file) return xmlError(ctx, 400, "InvalidArgument", "Missing file field.");
  if (file.value.length > STAGED_UPLOAD_MAX_BYTES)
    return xmlError(
      ctx,
      400,
      "EntityTooLarge",
      "Your proposed upload is larger than the maximum object size specified in your Policy Document.",
    );
  storeUpload(ctx, rec, file.value);
  const status = Number(form.get("success_action_status")?.value.toString() ?? "204");
  if (status === 201) {
    ctx.res.writeHead(201, { "Content-Type": "application/xml; charset=UTF-8", Location: `${ctx.baseUrl}/staged-uploads/${key}` });
    ctx.res.end(
      `<?xml version='1.0' encoding='UTF-8'?><PostResponse><Location>${ctx.baseUrl}/staged-uploads/${key}</Location><Bucket>shopify-staged-uploads</Bucket><Key>${key}</Key><ETag>"${crypto.createHash("md5").update(file.value).digest("hex")}"</ETag></PostResponse>`,
    );
  } else {
    ctx.res.writeHead(status === 200 ? 200 : 204);
    ctx.res.end();
  }
}

async function handlePutUpload(ctx: RouteContext) {
  const key = decodeURIComponent(ctx.match[1]!);
  const rec = uploadsOf(ctx.services).get(key);
  if (!rec || rec.httpMethod !== "PUT" || ctx.url.searchParams.get("X-Goog-Signature") !== rec.signature)
    return xmlError(ctx, 403, "SignatureDoesNotMatch", "Access denied.");
  if (ctx.now() > rec.expiresAt) return xmlError(ctx, 400, "ExpiredToken", "Invalid argument.");
  const data = await ctx.body();
  if (data.length > STAGED_UPLOAD_MAX_BYTES)
    return xmlError(ctx, 400, "EntityTooLarge", "Your proposed upload is larger than the maximum object size.");
  storeUpload(ctx, rec, data);
  ctx.res.writeHead(200, { ETag: `"${crypto.createHash("md5").update(data).digest("hex")}"` });
  ctx.res.end();
}

// ---------------- module ----------------

export const marketingModule: EmulatorModule = {
  name: "marketing",
  routes: [
    { method: "POST", path: /^\/staged-uploads\/?$/, handle: handlePostUpload },
    { method: "PUT", path: /^\/staged-uploads\/(.+)$/, handle: handlePutUpload },
  ],
  register(r) {
    r.field("Mutation", "tagsAdd", (_s, a: { id: string; tags: string[] }, ctx) => tagsMutation(ctx, a.id, a.tags, "add"), {
      scope: "write_customers",
    });
    r.field("Mutation", "tagsRemove", (_s, a: { id: string; tags: string[] }, ctx) => tagsMutation(ctx, a.id, a.tags, "remove"), {
      scope: "write_customers",
    });

    r.field(
      "Mutation",
      "segmentCreate",
      (_s, a: { name: string; query: string }, ctx) => {
        const { errors, expr } = validateSegment(a.name, a.query);
        if (errors.length)
          return { __typename: "SegmentCreatePayload", segment: null, userErrors: errors.map((e) => ({ __typename: "UserError", ...e })) };
        const legacyId = nextSegmentId++;
        const at = iso(ctx.now());
        const rec: SegmentRec = {
          legacyId,
          id: gid("Segment", legacyId),
          name: uniqueSegmentName(ctx.shop, a.name.trim()),
          query: a.query,
          creationDate: at,
          lastEditDate: at,
          expr: expr!,
        };
        segmentsOf(ctx.shop).push(rec);
        return { __typename: "SegmentCreatePayload", segment: segmentView(rec), userErrors: [] };
      },
      { scope: "write_customers" },
    );
    r.field(
      "Mutation",
      "segmentUpdate",
      (_s, a: { id: string; name?: string | null; query?: string | null }, ctx) => {
        const rec = findSegment(ctx.shop, a.id);
        if (!rec)
          return {
            __typename: "SegmentUpdatePayload",
            segment: null,
            userErrors: [{ __typename: "UserError", field: ["id"], message: "Segment does not exist" }],
          };
        const { errors, expr } = validateSegment(a.name ?? undefined, a.query ?? undefined);
        if (errors.length)
          return { __typename: "SegmentUpdatePayload", segment: null, userErrors: errors.map((e) => ({ __typename: "UserError", ...e })) };
        if (a.name != null) rec.name = uniqueSegmentName(ctx.shop, a.name.trim(), rec);
        if (a.query != null) {
          rec.query = a.query;
          rec.expr = expr!;
        }
        rec.lastEditDate = iso(ctx.now());
        return { __typename: "SegmentUpdatePayload", segment: segmentView(rec), userErrors: [] };
      },
      { scope: "write_customers" },
    );
    r.field(
      "Mutation",
      "segmentDelete",
      (_s, a: { id: string }, ctx) => {
        const list = segmentsOf(ctx.shop);
        const i = list.findIndex((s) => s.id === a.id);
        if (i < 0)
          return {
            __typename: "SegmentDeletePayload",
            deletedSegmentId: null,
            userErrors: [{ __typename: "UserError", field: ["id"], message: "Segment does not exist" }],
          };
        list.splice(i, 1);
        return { __typename: "SegmentDeletePayload", deletedSegmentId: a.id, userErrors: [] };
      },
      { scope: "write_customers" },
    );
    r.field(
      "QueryRoot",
      "segment",
      (_s, a: { id: string }, ctx) => {
        const rec = findSegment(ctx.shop, a.id);
        return rec ? segmentView(rec) : null;
      },
      { scope: "read_customers" },
    );
    nodeResolvers.set("Segment", (ctx, _id, g) => {
      const rec = findSegment(ctx.shop, g);
      return rec ? segmentView(rec) : null;
    });
    r.field(
      "QueryRoot",
      "segments",
      (_s, a: ConnectionArgs & { query?: string | null; sortKey?: string }, ctx) => {
        const list = segmentsOf(ctx.shop);
        const q = (a.query ?? "")
          .toLowerCase()
          .replace(/^name:/, "")
          .trim();
        const idx = list.map((_, i) => i).filter((i) => !q || list[i]!.name.toLowerCase().includes(q));
        const key =
          a.sortKey === "LAST_EDIT_DATE"
            ? (i: number) => list[i]!.lastEditDate
            : a.sortKey === "ID"
              ? (i: number) => list[i]!.legacyId
              : (i: number) => list[i]!.creationDate;
        idx.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : list[x]!.legacyId - list[y]!.legacyId));
        return connection(
          Int32Array.from(idx),
          a,
          key,
          (i) => list[i]!.legacyId,
          (i) => segmentView(list[i]!),
        );
      },
      { scope: "read_customers" },
    );
    r.field(
      "QueryRoot",
      "segmentsCount",
      (_s, a: { limit?: number | null }, ctx) => {
        const n = segmentsOf(ctx.shop).length;
        const limit = a.limit ?? 10000;
        return { __typename: "Count", count: Math.min(n, limit), precision: n > limit ? "AT_LEAST" : "EXACT" };
      },
      { scope: "read_customers" },
    );
    r.field(
      "QueryRoot",
      "customerSegmentMembers",
      (
        _s,
        a: ConnectionArgs & { segmentId?: string | null; query?: string | null; queryId?: string | null; sortKey?: string | null },
        ctx,
      ) => {
        if (a.queryId)
          throw new GraphQLError("customerSegmentMembers(queryId:) is not implemented by the Shopify emulator", {
            extensions: { code: "NOT_IMPLEMENTED" },
          });
        if (a.segmentId && a.query)
          throw new GraphQLError("Providing both segment_id and query is not supported.", { extensions: { code: "INVALID" } });
        let expr: SegmentExpr;
        if (a.segmentId) {
          const rec = findSegment(ctx.shop, a.segmentId);
          if (!rec) throw new GraphQLError("Segment does not exist", { extensions: { code: "NOT_FOUND" } });
          expr = rec.expr;
        } else if (a.query) {
          try {
            expr = parseSegmentQuery(a.query);
          } catch (e) {
            if (e instanceof SegmentQueryError) throw new GraphQLError(e.message, { extensions: { code: "INVALID" } });
            throw e;
          }
        } else {
          throw new GraphQLError("You must provide one of segment_id or query.", { extensions: { code: "INVALID" } });
        }
        if (a.sortKey)
          throw new GraphQLError("customerSegmentMembers(sortKey:) is not implemented by the Shopify emulator", {
            extensions: { code: "NOT_IMPLEMENTED" },
          });
        const items = segmentMembers(ctx, expr);
        const conn = connection(
          Int32Array.from(items),
          a,
          (c) => ctx.shop.customerLegacyId(c),
          (c) => ctx.shop.customerLegacyId(c),
          (c) => memberView(ctx.shop, c),
        );
        return { ...conn, __typename: "CustomerSegmentMemberConnection", totalCount: items.length };
      },
      { scope: "read_customers" },
    );
    r.field(
      "QueryRoot",
      "customerSegmentMembership",
      (_s, a: { customerId: string; segmentIds: string[] }, ctx) => {
        const c = ctx.shop.customerIndexFromId(a.customerId);
        return {
          __typename: "SegmentMembershipResponse",
          memberships: a.segmentIds.flatMap((id) => {
            const rec = findSegment(ctx.shop, id);
            return rec
              ? [{ __typename: "SegmentMembership", segmentId: id, isMember: c >= 0 && matchesSegment(ctx.shop, c, rec.expr) }]
              : [];
          }),
        };
      },
      { scope: "read_customers" },
    );

    r.field("Mutation", "customerEmailMarketingConsentUpdate", (_s, a: { input: ConsentInput }, ctx) => consentUpdate(ctx, a.input), {
      scope: "write_customers",
    });
    r.field("Mutation", "flowTriggerReceive", (_s, a: { handle?: string | null; payload?: unknown; body?: string | null }, ctx) =>
      flowTrigger(ctx, a),
    );
    r.field("Mutation", "stagedUploadsCreate", (_s, a: { input: Parameters<typeof stagedUploadsCreate>[1] }, ctx) =>
      stagedUploadsCreate(ctx, a.input),
    );
  },
};
