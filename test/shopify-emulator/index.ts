// Shopify emulator: a local HTTP server that behaves like Shopify for the Winback app.
// See README.md in this folder.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { Kind } from "graphql";
import { adminFramePage, appBridgeScript, embeddedParams } from "./admin-frame";
import { TokenStore, mintSessionToken, type SessionTokenOptions } from "./auth";
import {
  MAX_SINGLE_QUERY_COST,
  Registry,
  getOperation,
  operationCost,
  parseAndValidate,
  runGraphQL,
  type EmulatorModule,
  type RequestContext,
  type TokenInfo,
} from "./engine";
import type { SeedOptions, ShopSeed } from "./generator";
import { BulkService, DEFAULT_BULK_TIMING, type BulkFault, type BulkTiming } from "./modules/bulk";
import { bulkModule } from "./modules/bulk";
import { coreModule } from "./modules/core";
import { customersModule } from "./modules/customers";
import { ordersModule } from "./modules/orders";
import { marketingModule } from "./modules/marketing";
import { marketingActivitiesModule } from "./modules/marketing-activities";
import { DiscountCodeRejected, discountsModule } from "./modules/discounts";
import { metafieldsModule } from "./modules/metafields";
import { storefrontModule } from "./modules/storefront";
import { parseProtectedCustomerData, type ProtectedCustomerDataOption } from "./protected-data";
import { API_VERSION, REPO_ROOT } from "./schema";
import { ShopState, type CustomerPatch, type OrderInput, type OrderPatch } from "./state";
import { simulateShoppers, type SimulateOptions, type SimulationResult } from "./shoppers";
import { Webhooks, loadAppToml, type DeliverOptions, type Delivery, type WebhookRetryOptions } from "./webhooks";

export { mintSessionToken } from "./auth";
export { generateShop } from "./generator";
export type { SeedOptions } from "./generator";
export type { EmulatorModule, RequestContext, ModuleRoute, RouteContext } from "./engine";
export type { BulkFault, BulkTiming } from "./modules/bulk";
export type { ProtectedCustomerDataOption, ProtectedField } from "./protected-data";
export { ShopState } from "./state";

/** Modules loaded by default; later features append theirs (or pass `modules`). */
export const DEFAULT_MODULES: EmulatorModule[] = [
  coreModule,
  ordersModule,
  customersModule,
  bulkModule,
  marketingModule,
  marketingActivitiesModule,
  discountsModule,
  metafieldsModule,
  storefrontModule,
];

export interface ShopOptions {
  /** "none" | "level1" | "level2" (default) | { level: "level2", fields: ["name", "email", "phone", "address"] }. */
  protectedCustomerData?: ProtectedCustomerDataOption;
}

export interface EmulatorOptions {
  port?: number;
  host?: string;
  apiKey: string;
  apiSecret: string;
  appUrl?: string;
  appTomlPath?: string;
  /** Where the app's extensions live (default: `extensions/` next to the app toml). */
  extensionsDir?: string;
  scopes?: string;
  plan?: { bucketSize: number; restoreRate: number };
  now?: () => Date;
  bulkTiming?: Partial<BulkTiming>;
  webhookRetry?: Partial<WebhookRetryOptions>;
  /** Extra feature modules (discounts, tags, ...), registered after the defaults. */
  modules?: EmulatorModule[];
  /** Log each request to stderr. */
  verbose?: boolean;
}

export interface Faults {
  /** Applies to the next bulk operation of `shop` ("*" = any shop). */
  bulk(shop: string, fault: BulkFault): void;
  /** Next `times` GraphQL requests of the shop are answered THROTTLED (default 1). */
  throttle(shop: string, times?: number): void;
  /** Empties the shop's cost bucket now (it then restores at the plan's rate). */
  drainBucket(shop: string): void;
  /** Next `times` Admin API requests of the shop fail with this HTTP status (default 1). */
  httpError(shop: string, status: number, times?: number): void;
  /** Drops deliveries of a webhook topic ("*" = all) until restoreWebhooks. */
  suppressWebhooks(topic: string): void;
  restoreWebhooks(topic: string): void;
  /** Next `times` bulk result downloads are cut after `afterBytes` bytes. */
  truncateDownloads(afterBytes: number, times?: number): void;
  clear(): void;
}

export interface WebhooksApi {
  log: Delivery[];
  deliver(shop: string, topic: string, payload: unknown, opts?: DeliverOptions): Delivery | undefined;
  /** Waits until all queued deliveries (including retries) finished. */
  idle(): Promise<void>;
  sign(body: string): string;
}

export interface Emulator {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** `opts.protectedCustomerData`: Shopify's approval state for this app on this shop (default "level2"). */
  addShop(domain: string, seed?: SeedOptions | ShopSeed, opts?: ShopOptions): Promise<ShopState>;
  /** Changes the protected-customer-data approval of the app on a shop (see protected-data.ts). */
  setProtectedCustomerData(shop: string, access: ProtectedCustomerDataOption): void;
  shop(domain: string): ShopState;
  mintSessionToken(shop: string, opts?: SessionTokenOptions): string;
  adminUrl(shop: string, appPath?: string): string;
  webhooks: WebhooksApi;
  faults: Faults;
  bulk: BulkService;
  registry: Registry;
  /** Issues an offline access token directly (tests that skip token exchange). */
  issueAccessToken(shop: string, opts?: { expiring?: boolean }): string;
  createOrder(shop: string, input?: OrderInput): ReturnType<ShopState["orderPayload"]>;
  updateOrder(shop: string, orderId: string | number, patch: OrderPatch): ReturnType<ShopState["orderPayload"]>;
  updateCustomer(shop: string, customerId: string | number, patch: CustomerPatch): ReturnType<ShopState["customerPayload"]>;
  uninstall(shop: string): Delivery | undefined;
  compliance(
    shop: string,
    topic: "customers/data_request" | "customers/redact" | "shop/redact",
    payload?: Record<string, unknown>,
  ): Delivery | undefined;
  /** Throttle bucket state for a shop (after restoring to "now"). */
  bucket(shop: string): { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
  /** Shoppers react to the app's win-back campaigns over `days` (from defaults to the emulator clock); see shoppers.ts. */
  simulateShoppers(shop: string, opts: Omit<SimulateOptions, "from"> & { from?: Date }): SimulationResult;
}

const SHOP_RE = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;
const INVALID_TOKEN = { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" };

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const now = () => (opts.now ? opts.now().getTime() : Date.now());
  const toml = loadAppToml(opts.appTomlPath ?? path.join(REPO_ROOT, "shopify.app.toml"));
  const scopes = (opts.scopes ?? toml.scopes.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const plan = opts.plan ?? { bucketSize: 2000, restoreRate: 100 };
  const shops = new Map<string, ShopState>();
  const registry = new Registry();
  const modules = [...DEFAULT_MODULES, ...(opts.modules ?? [])];
  for (const m of modules) {
    m.register(registry);
    registry.modules.push(m.name);
  }
  const moduleRoutes = modules.flatMap((m) => m.routes ?? []);
  // This emulator's state shared by GraphQL resolvers and module routes (e.g. staged uploads written
  // over HTTP, then read by a bulk mutation). Resolvers get a per-request copy of the same references.
  const services: Record<string, unknown> = {
    stagedUploads: new Map(),
    // Flow trigger extensions are read from here on every flowTriggerReceive (flow-extensions.ts).
    extensionsDir:
      opts.extensionsDir ?? path.join(path.dirname(opts.appTomlPath ?? path.join(REPO_ROOT, "shopify.app.toml")), "extensions"),
  };
  const tokens = new TokenStore({ apiKey: opts.apiKey, apiSecret: opts.apiSecret, scopes: () => scopes, now });
  let baseUrl = "";
  const webhooks = new Webhooks({
    apiSecret: opts.apiSecret,
    appUrl: opts.appUrl,
    toml,
    now,
    retry: { attempts: 4, baseDelayMs: 500, timeoutMs: 5000, ...opts.webhookRetry },
  });
  const bulk = new BulkService({
    registry,
    timing: { ...DEFAULT_BULK_TIMING, ...opts.bulkTiming },
    now,
    url: () => baseUrl,
    secret: opts.apiSecret,
    shop: (d) => shops.get(d),
    webhook: (shop, topic, payload, o) => webhooks.deliver(shop, topic, payload, o),
  });

  // ---- throttling (leaky bucket per shop+app) ----
  const buckets = new Map<string, { available: number; at: number }>();
  const bucketOf = (shop: string) => {
    let b = buckets.get(shop);
    const t = now();
    if (!b) {
      b = { available: plan.bucketSize, at: t };
      buckets.set(shop, b);
    }
    b.available = Math.min(plan.bucketSize, b.available + ((t - b.at) / 1000) * plan.restoreRate);
    b.at = t;
    return b;
  };
  const throttleStatus = (shop: string) => ({
    maximumAvailable: plan.bucketSize,
    currentlyAvailable: Math.floor(bucketOf(shop).available),
    restoreRate: plan.restoreRate,
  });

  // ---- faults ----
  const forcedThrottle = new Map<string, number>();
  const forcedHttp = new Map<string, { status: number; times: number }>();
  let truncate: { afterBytes: number; times: number } | undefined;
  const faults: Faults = {
    bulk: (shop, f) => bulk.injectFault(shop, f),
    throttle: (shop, times = 1) => forcedThrottle.set(shop, times),
    drainBucket: (shop) => {
      bucketOf(shop).available = 0;
    },
    httpError: (shop, status, times = 1) => forcedHttp.set(shop, { status, times }),
    suppressWebhooks: (topic) => webhooks.suppressed.add(topic),
    restoreWebhooks: (topic) => webhooks.suppressed.delete(topic),
    truncateDownloads: (afterBytes, times = 1) => {
      truncate = { afterBytes, times };
    },
    clear: () => {
      forcedThrottle.clear();
      forcedHttp.clear();
      truncate = undefined;
      webhooks.suppressed.clear();
      bulk.pendingFaults.clear();
    },
  };

  const getShop = (domain: string) => {
    const s = shops.get(domain);
    if (!s) throw new Error(`Unknown shop ${domain}; call addShop first`);
    return s;
  };

  const deliver = (shop: string, topic: string, payload: unknown, o?: DeliverOptions) => webhooks.deliver(shop, topic, payload, o);

  // ---- HTTP ----
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e) => {
      console.error("[shopify-emulator]", e);
      if (!res.headersSent) send(res, 500, { errors: "Internal error in the Shopify emulator: " + (e as Error).message });
      else res.destroy();
    });
  });

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, {
      "Content-Type": typeof body === "string" ? "text/html; charset=utf-8" : "application/json; charset=utf-8",
      "X-Request-Id": crypto.randomUUID(),
      ...headers,
    });
    res.end(text);
  }

  async function readRaw(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  async function readBody(req: http.IncomingMessage): Promise<string> {
    return (await readRaw(req)).toString("utf8");
  }

  const cors = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? "/", "http://emulator.local");
    const p = url.pathname;
    if (opts.verbose) console.error(`[shopify-emulator] ${req.method} ${p}`);
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors);
      res.end();
      return;
    }

    if (p === "/app-bridge.js") {
      res.writeHead(200, { "Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "no-store", ...cors });
      res.end(appBridgeScript(baseUrl));
      return;
    }
    if (p === "/session-token") {
      const shop = url.searchParams.get("shop") ?? "";
      if (!shops.has(shop) || url.searchParams.get("api_key") !== opts.apiKey)
        return send(res, 400, { error: "unknown shop or api key" }, cors);
      return send(res, 200, { token: emulator.mintSessionToken(shop) }, { ...cors, "Cache-Control": "no-store" });
    }
    if (p === "/admin" || p === "/admin/") {
      const shop = url.searchParams.get("shop") ?? "";
      if (!shops.has(shop)) return send(res, 404, "<h1>Unknown shop</h1>");
      res.writeHead(302, { Location: emulator.adminUrl(shop) });
      res.end();
      return;
    }
    let m = /^\/store\/([a-z0-9-]+)\/apps\/([^/]+)(\/.*)?$/.exec(p);
    if (m && req.method === "GET") {
      const shop = `${m[1]}.myshopify.com`;
      if (!shops.has(shop)) return send(res, 404, "<h1>There’s no store at this address</h1>");
      if (m[2] !== opts.apiKey) return send(res, 404, "<h1>App not installed</h1>");
      if (!opts.appUrl) return send(res, 500, "<h1>The emulator was started without appUrl</h1>");
      const s = getShop(shop);
      const appPath = m[3] ?? "/";
      const iframeSrc = `${opts.appUrl.replace(/\/$/, "")}${appPath}?${embeddedParams({ shop, handle: s.handle, idToken: emulator.mintSessionToken(shop), apiSecret: opts.apiSecret, nowMs: now() })}`;
      return send(
        res,
        200,
        adminFramePage({ shop, shopName: s.data.name, appUrl: opts.appUrl, iframeSrc, apiKey: opts.apiKey, emulatorUrl: baseUrl }),
        { "Cache-Control": "no-store" },
      );
    }

    // ---- inspector & control API ----
    if (p === "/__emulator/faults" && req.method === "POST") {
      const b = JSON.parse((await readBody(req)) || "{}");
      switch (b.type) {
        case "bulk":
          faults.bulk(b.shop ?? "*", b.fault);
          break;
        case "throttle":
          faults.throttle(b.shop, b.times);
          break;
        case "drainBucket":
          faults.drainBucket(b.shop);
          break;
        case "http":
          faults.httpError(b.shop, b.status ?? 500, b.times);
          break;
        case "suppressWebhooks":
          faults.suppressWebhooks(b.topic ?? "*");
          break;
        case "restoreWebhooks":
          faults.restoreWebhooks(b.topic ?? "*");
          break;
        case "truncateDownload":
          faults.truncateDownloads(b.afterBytes ?? 1024, b.times);
          break;
        case "clear":
          faults.clear();
          break;
        case "protectedCustomerData":
          if (!shops.has(b.shop)) return send(res, 404, { error: "unknown shop" });
          try {
            emulator.setProtectedCustomerData(b.shop, b.access);
          } catch (e) {
            return send(res, 400, { error: (e as Error).message });
          }
          break;
        default:
          return send(res, 400, { error: `unknown fault type ${b.type}` });
      }
      return send(res, 200, { ok: true });
    }
    m = /^\/__emulator\/shops\/([^/]+)(\/[a-z_/]+)?$/.exec(p);
    if (m) {
      const shop = decodeURIComponent(m[1]!);
      if (!shops.has(shop)) return send(res, 404, { error: "unknown shop" });
      const sub = m[2] ?? "";
      if (!sub && req.method === "GET")
        return send(res, 200, {
          ...getShop(shop).inspect(),
          webhooks: webhooks.log.filter((d) => d.shop === shop).map(({ body: _b, headers: _h, ...d }) => d),
          bulkOperations: bulk.ops.filter((o) => o.shop === shop).map((o) => bulk.view(o)),
          throttle: throttleStatus(shop),
        });
      const b = req.method === "POST" ? JSON.parse((await readBody(req)) || "{}") : {};
      if (sub === "/orders" && req.method === "POST") {
        try {
          return send(res, 201, emulator.createOrder(shop, b));
        } catch (e) {
          if (e instanceof DiscountCodeRejected) return send(res, 422, { error: e.message });
          throw e;
        }
      }
      if (sub === "/uninstall" && req.method === "POST") {
        emulator.uninstall(shop);
        return send(res, 200, { ok: true });
      }
      if (sub === "/compliance" && req.method === "POST") {
        emulator.compliance(shop, b.topic, b.payload);
        return send(res, 200, { ok: true });
      }
      if (sub === "/simulate" && req.method === "POST") {
        if (!Number.isInteger(b.days) || !Number.isInteger(b.seed)) return send(res, 400, { error: "days and seed must be integers" });
        try {
          return send(
            res,
            200,
            emulator.simulateShoppers(shop, {
              days: b.days,
              seed: b.seed,
              from: b.from ? new Date(b.from) : undefined,
              uplift: b.uplift,
              codeShare: b.codeShare,
              treatedTags: b.treatedTags,
              response: b.response,
              upliftByCode: b.upliftByCode,
            }),
          );
        } catch (e) {
          return send(res, 400, { error: (e as Error).message });
        }
      }
      if (sub === "/webhooks" && req.method === "POST") {
        const d = deliver(shop, b.topic, b.payload, b.options);
        return send(res, 200, { webhookId: d?.webhookId ?? null });
      }
      return send(res, 404, { error: "not found" });
    }

    for (const route of moduleRoutes) {
      const rm = req.method === route.method ? route.path.exec(p) : null;
      if (!rm) continue;
      let cached: Buffer | undefined;
      await route.handle({
        req,
        res,
        url,
        match: rm,
        baseUrl,
        apiKey: opts.apiKey,
        apiSecret: opts.apiSecret,
        appUrl: opts.appUrl,
        now,
        services,
        shop: (d) => shops.get(d),
        body: async () => (cached ??= await readRaw(req)),
        send: (status, body, headers) => send(res, status, body, headers),
        deliverWebhook: (shop, topic, payload) => void deliver(shop, topic, payload),
      });
      return;
    }

    // ---- per-shop routes: /{shop}/... ----
    m = /^\/([^/]+)(\/.*)$/.exec(p);
    if (!m || !SHOP_RE.test(m[1]!)) return send(res, 404, { errors: "Not Found" });
    const shop = m[1]!;
    const rest = m[2]!;
    const state = shops.get(shop);
    if (!state) return send(res, 404, { errors: "Not Found" });

    if (rest === "/admin/oauth/access_token" && req.method === "POST") {
      const raw = await readBody(req);
      let body: Record<string, string | undefined>;
      const ct = req.headers["content-type"] ?? "";
      try {
        body = ct.includes("application/json") ? JSON.parse(raw || "{}") : Object.fromEntries(new URLSearchParams(raw));
      } catch {
        return send(res, 400, { error: "invalid_request", error_description: "Malformed request body" });
      }
      if (!state.installed && body.grant_type === "refresh_token")
        return send(res, 400, { error: "invalid_grant", error_description: "The app is not installed on this shop." });
      const [status, json] = tokens.exchange(shop, body);
      if (status === 200 && !state.installed) state.installed = true; // token exchange = (re)install
      return send(res, status, json);
    }

    m = /^\/bulk\/(\d+)\.jsonl$/.exec(rest);
    if (m && req.method === "GET") {
      const op = bulk.find(shop, Number(m[1]));
      const check = bulk.checkSignature(shop, Number(m[1]), url.searchParams.get("expires"), url.searchParams.get("sig"));
      const xml = (code: string, msg: string) =>
        `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${code}</Code><Message>${msg}</Message></Error>`;
      if (!op || check === "forbidden" || !op.fileReady) {
        res.writeHead(403, { "Content-Type": "application/xml" });
        res.end(xml("AccessDenied", "Access denied."));
        return;
      }
      if (check === "expired") {
        res.writeHead(403, { "Content-Type": "application/xml" });
        res.end(xml("ExpiredToken", "Request has expired."));
        return;
      }
      const size = fs.statSync(op.filePath).size;
      res.writeHead(200, { "Content-Type": "application/jsonl", "Content-Length": String(size) });
      const cut = truncate && truncate.times > 0 ? truncate.afterBytes : undefined;
      if (cut != null) {
        truncate!.times--;
      }
      const stream = fs.createReadStream(op.filePath, cut != null ? { start: 0, end: Math.max(0, Math.min(size, cut) - 1) } : {});
      stream.pipe(res, { end: cut == null });
      if (cut != null) stream.on("end", () => setTimeout(() => res.destroy(), 5));
      return;
    }

    m = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(rest);
    if (m) {
      if (m[1] !== API_VERSION) return send(res, 404, { errors: "Not Found" });
      if (req.method !== "POST") return send(res, 405, { errors: "Method Not Allowed" });
      const token = tokens.check(req.headers["x-shopify-access-token"] as string | undefined, shop);
      if (!token || !state.installed) return send(res, 401, INVALID_TOKEN);
      const forced = forcedHttp.get(shop);
      if (forced && forced.times > 0) {
        forced.times--;
        return send(res, forced.status, { errors: forced.status >= 500 ? "Internal Server Error" : "Error" });
      }
      const raw = await readBody(req);
      let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
      try {
        body = (req.headers["content-type"] ?? "").includes("application/graphql") ? { query: raw } : JSON.parse(raw || "{}");
      } catch {
        return send(res, 400, { errors: { query: "Required parameter missing or invalid" } });
      }
      if (typeof body.query !== "string" || !body.query.trim())
        return send(res, 400, { errors: { query: "Required parameter missing or invalid" } });
      return send(res, 200, await graphqlRequest(state, token, body));
    }
    return send(res, 404, { errors: "Not Found" });
  }

  async function graphqlRequest(
    state: ShopState,
    token: TokenInfo,
    body: { query?: string; variables?: Record<string, unknown>; operationName?: string },
  ) {
    const shop = state.domain;
    const { doc, errors } = parseAndValidate(body.query!);
    if (!doc) return { errors };
    const op = getOperation(doc, body.operationName);
    if (!op)
      return {
        errors: [
          {
            message: body.operationName ? `No operation named "${body.operationName}"` : "An operation name is required",
            extensions: { code: "BAD_REQUEST" },
          },
        ],
      };
    const requested = operationCost(op, doc, body.variables ?? {});
    if (requested > MAX_SINGLE_QUERY_COST) {
      return {
        errors: [
          {
            message: `Query cost is ${requested}, which exceeds the single query max cost limit (${MAX_SINGLE_QUERY_COST}).\n\nSee https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer limits, bulk operations should be used instead.\nSee https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n`,
            extensions: { code: "MAX_COST_EXCEEDED", cost: requested, maxCost: MAX_SINGLE_QUERY_COST },
          },
        ],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus(shop) } },
      };
    }
    const b = bucketOf(shop);
    const forced = forcedThrottle.get(shop) ?? 0;
    if (forced > 0 || b.available < requested) {
      if (forced > 0) forcedThrottle.set(shop, forced - 1);
      return {
        errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
        extensions: { cost: { requestedQueryCost: requested, actualQueryCost: null, throttleStatus: throttleStatus(shop) } },
      };
    }
    b.available -= requested;
    const searchWarnings: string[] = [];
    const ctx: RequestContext = {
      shop: state,
      token,
      now,
      services: { ...services, bulkService: bulk, webhooks, searchWarnings, baseUrl },
    };
    const result = await runGraphQL(registry, doc, body, ctx);
    if (op.operation === "mutation" && result.data) {
      for (const sel of op.selectionSet.selections) {
        if (sel.kind === Kind.FIELD && sel.name.value !== "bulkOperationRunQuery")
          state.logMutation(sel.name.value, body.variables ?? {}, result.data[sel.alias?.value ?? sel.name.value]);
      }
    }
    const actual = result.data ? Math.min(requested, operationCost(op, doc, body.variables ?? {}, result.data)) : requested;
    b.available = Math.min(plan.bucketSize, b.available + (requested - actual));
    const out: Record<string, unknown> = {};
    if (result.errors?.length) out.errors = result.errors.map((e) => e.toJSON());
    out.data = result.data ?? null;
    const ext: Record<string, unknown> = {
      cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: throttleStatus(shop) },
    };
    if (searchWarnings.length)
      ext.search = [{ warnings: searchWarnings.map((f) => ({ field: f, message: "Invalid search field for this query." })) }];
    out.extensions = ext;
    return out;
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve));
  const addr = server.address() as AddressInfo;
  baseUrl = `http://${opts.host ?? "127.0.0.1"}:${addr.port}`;

  const emulator: Emulator = {
    url: baseUrl,
    port: addr.port,
    registry,
    bulk,
    async stop() {
      webhooks.stop();
      bulk.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async addShop(domain, seed = {}, shopOpts = {}) {
      if (!SHOP_RE.test(domain)) throw new Error(`Invalid shop domain ${domain}`);
      const s = new ShopState(domain, seed, now);
      s.protectedCustomerData = parseProtectedCustomerData(shopOpts.protectedCustomerData);
      shops.set(domain, s);
      return s;
    },
    shop: getShop,
    setProtectedCustomerData: (shop, access) => {
      getShop(shop).protectedCustomerData = parseProtectedCustomerData(access);
    },
    mintSessionToken: (shop, o) => mintSessionToken(shop, opts.apiKey, opts.apiSecret, now(), o),
    adminUrl: (shop, appPath = "") => `${baseUrl}/store/${shop.replace(/\.myshopify\.com$/, "")}/apps/${opts.apiKey}${appPath}`,
    webhooks: { log: webhooks.log, deliver, idle: () => webhooks.idle(), sign: (b) => webhooks.sign(b) },
    faults,
    issueAccessToken: (shop, o = {}) => tokens.issueOffline(shop, !!o.expiring).access_token as string,
    createOrder(shop, input) {
      const s = getShop(shop);
      const i = s.createOrder(input);
      const payload = s.orderPayload(i);
      deliver(shop, "orders/create", payload);
      return payload;
    },
    updateOrder(shop, id, patch) {
      const s = getShop(shop);
      const i = s.orderIndexFromId(id);
      if (i < 0) throw new Error(`Unknown order ${id}`);
      s.updateOrder(i, patch);
      const payload = s.orderPayload(i);
      deliver(shop, "orders/updated", payload);
      return payload;
    },
    updateCustomer(shop, id, patch) {
      const s = getShop(shop);
      const c = s.customerIndexFromId(id);
      if (c < 0) throw new Error(`Unknown customer ${id}`);
      s.updateCustomer(c, patch);
      const payload = s.customerPayload(c);
      deliver(shop, "customers/update", payload);
      return payload;
    },
    uninstall(shop) {
      const s = getShop(shop);
      s.installed = false;
      tokens.revokeShop(shop);
      const d = s.data;
      return deliver(shop, "app/uninstalled", {
        id: 60_000_000_000,
        name: d.name,
        email: d.email,
        domain: shop,
        myshopify_domain: shop,
        currency: d.currencyCode,
        iana_timezone: d.ianaTimezone,
        plan_name: "basic",
        created_at: new Date(d.createdAt).toISOString(),
      });
    },
    compliance(shop, topic, payload = {}) {
      const base = { shop_id: 60_000_000_000, shop_domain: shop };
      const s = getShop(shop);
      let body: Record<string, unknown> = base;
      if (topic !== "shop/redact") {
        const c = 0;
        const v = s.customerView(c);
        body = {
          ...base,
          customer: { id: s.customerLegacyId(c), email: v.email, phone: v.phone },
          orders_requested: Array.from(s.ordersOfCustomer(c)).map((i) => s.orderLegacyId(i)),
          ...(topic === "customers/data_request"
            ? { data_request: { id: Math.floor(Math.random() * 1e6) } }
            : { orders_to_redact: Array.from(s.ordersOfCustomer(c)).map((i) => s.orderLegacyId(i)) }),
        };
      }
      return deliver(shop, topic, { ...body, ...payload });
    },
    bucket: (shop) => throttleStatus(shop),
    simulateShoppers: (shop, o) => simulateShoppers(emulator, shop, { ...o, from: o.from ?? new Date(now()) }),
  };
  return emulator;
}
