import { ClientError, GraphQLClient } from "graphql-request";
import { z } from "zod";
import { AppError } from "../lib/errors";
import { adminGraphqlUrl } from "./admin-url";

/**
 * The Admin GraphQL client used by background work (sync, campaigns): one graphql-request client
 * per shop, with Shopify's cost-based throttling handled here, and every failure mapped to the
 * app's error vocabulary (SHOPIFY_GRAPHQL, THROTTLED, NETWORK, UNAUTHENTICATED).
 */
export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

export interface QueryCost {
  requestedQueryCost: number | null;
  actualQueryCost: number | null;
  throttleStatus?: ThrottleStatus;
}

export interface AdminClientOptions {
  shop: string;
  accessToken: string;
  /** SHOPIFY_ADMIN_URL_TEMPLATE (`https://{shop}` in production). */
  urlTemplate: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Attempts for one request when throttled or on a transient failure (default 6). */
  maxAttempts?: number;
  /** Called after every answered request (metrics, tests). */
  onCost?: (cost: QueryCost) => void;
}

/**
 * `request` answers Shopify's `data` as `unknown`: the adapters in app/shopify (orders.ts,
 * customers.ts, discounts.ts …) parse it with their schemas (ADR 081); nothing casts it.
 */
export interface AdminClient {
  shop: string;
  request(query: string, variables?: Record<string, unknown>): Promise<unknown>;
}

interface GraphQLErrorLike {
  message: string;
  extensions?: { code?: string; [k: string]: unknown };
}

const GraphQLErrorSchema = z
  .object({ message: z.string(), extensions: z.object({ code: z.string().optional() }).passthrough().optional() })
  .passthrough();
const ThrottleStatusSchema = z.object({ maximumAvailable: z.number(), currentlyAvailable: z.number(), restoreRate: z.number() });
const ExtensionsSchema = z
  .object({
    cost: z
      .object({
        requestedQueryCost: z.number().nullable(),
        actualQueryCost: z.number().nullable(),
        throttleStatus: ThrottleStatusSchema.optional(),
      })
      .optional(),
  })
  .passthrough();
/** A GraphQL response body: `data` stays unknown here (the adapter parses it). */
const ResponseBodySchema = z.object({
  data: z.unknown().optional(),
  errors: z.array(GraphQLErrorSchema).optional(),
  extensions: z.unknown().optional(),
});

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Milliseconds until the bucket holds `needed` points again (plus a small margin). */
export function throttleWaitMs(status: ThrottleStatus | undefined, needed: number | null | undefined): number {
  if (!status || !status.restoreRate) return 1000;
  const want = Math.min(needed ?? 50, status.maximumAvailable);
  const missing = Math.max(0, want - status.currentlyAvailable);
  return Math.ceil((missing / status.restoreRate) * 1000) + 50;
}

export function createAdminClient(opts: AdminClientOptions): AdminClient {
  const sleep = opts.sleep ?? defaultSleep;
  const maxAttempts = opts.maxAttempts ?? 6;
  const client = new GraphQLClient(adminGraphqlUrl(opts.urlTemplate, opts.shop), {
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    headers: { "X-Shopify-Access-Token": opts.accessToken },
    errorPolicy: "all",
  });

  async function request(query: string, variables?: Record<string, unknown>): Promise<unknown> {
    let lastError: AppError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const send = () => client.rawRequest<unknown>(query, variables);
      let raw: Awaited<ReturnType<typeof send>>;
      try {
        raw = await send();
      } catch (e) {
        lastError = mapTransportError(e);
        if (!lastError.retryable || attempt === maxAttempts) throw lastError;
        await sleep(lastError.retryAfterMs ?? Math.min(8000, 250 * 2 ** (attempt - 1)));
        continue;
      }
      const body = ResponseBodySchema.safeParse({ data: raw.data, errors: raw.errors, extensions: raw.extensions });
      if (!body.success)
        throw new AppError("SHOPIFY_GRAPHQL", `Admin API answered ${raw.status} with an unreadable GraphQL body`, {
          details: body.error.issues,
        });
      const res = body.data;
      const ext = ExtensionsSchema.safeParse(res.extensions ?? {});
      // A cost block we cannot read only costs us the throttle hint (throttleWaitMs falls back to 1 s).
      const cost: QueryCost | undefined = ext.success ? ext.data.cost : undefined;
      if (cost) opts.onCost?.(cost);
      const errors = res.errors ?? [];
      if (errors.some((e) => e.extensions?.code === "THROTTLED")) {
        const wait = throttleWaitMs(cost?.throttleStatus, cost?.requestedQueryCost);
        lastError = new AppError("THROTTLED", `Shopify throttled ${opts.shop} (${describeStatus(cost?.throttleStatus)})`, {
          retryAfterMs: wait,
          details: cost,
        });
        if (attempt === maxAttempts) throw lastError;
        await sleep(wait);
        continue;
      }
      if (errors.length) throw graphqlErrors(errors);
      return res.data;
    }
    throw lastError ?? new AppError("INTERNAL", "unreachable");
  }

  return { shop: opts.shop, request };
}

function describeStatus(s: ThrottleStatus | undefined) {
  return s ? `${s.currentlyAvailable}/${s.maximumAvailable} points, restoring ${s.restoreRate}/s` : "no throttle status";
}

/** Top-level GraphQL errors: ACCESS_DENIED, MAX_COST_EXCEEDED, schema violations ... */
export function graphqlErrors(errors: GraphQLErrorLike[]): AppError {
  const codes = [...new Set(errors.map((e) => e.extensions?.code).filter((c): c is string => !!c))];
  const message = errors.map((e) => (e.extensions?.code ? `${e.extensions.code}: ${e.message}` : e.message)).join("; ");
  return new AppError("SHOPIFY_GRAPHQL", message, { details: { codes, errors } });
}

export function mapTransportError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof ClientError) {
    const status = e.response.status;
    if (status === 401 || status === 403)
      return new AppError("UNAUTHENTICATED", `Admin API answered ${status}: the access token is invalid or revoked`, { cause: e });
    if (status === 429) return new AppError("THROTTLED", "Admin API answered 429", { cause: e, retryAfterMs: 2000 });
    if (status >= 500) return new AppError("NETWORK", `Admin API answered ${status}`, { cause: e, retryable: true });
    const errs = z.array(GraphQLErrorSchema).safeParse(e.response.errors);
    if (errs.success && errs.data.length) return graphqlErrors(errs.data);
    return new AppError("SHOPIFY_GRAPHQL", `Admin API answered ${status}`, { cause: e });
  }
  return new AppError("NETWORK", `Admin API unreachable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}

// userErrors have one home (response.ts, ADR 081); re-exported for callers that import the client.
export { assertNoUserErrors } from "./response";

/** The error code of a top-level GraphQL failure (e.g. ACCESS_DENIED), if any. */
export function graphqlErrorCodes(e: unknown): string[] {
  if (!(e instanceof AppError) || e.code !== "SHOPIFY_GRAPHQL") return [];
  const details = z.object({ codes: z.array(z.string()) }).safeParse(e.details);
  return details.success ? details.data.codes.slice() : [];
}

/** What an authenticated Remix request hands us: `admin.graphql` of @shopify/shopify-app-remix. */
export interface GraphqlCapable {
  graphql(query: string, opts?: { variables?: Record<string, unknown> }): Promise<Response>;
}

/**
 * The library's request-scoped admin (`authenticate.admin(request).admin`) as an AdminClient, so the
 * adapters serve routes and jobs alike. The library does its own retrying; top-level GraphQL
 * errors become SHOPIFY_GRAPHQL like in createAdminClient.
 */
export function remixAdminClient(shop: string, admin: GraphqlCapable): AdminClient {
  return {
    shop,
    async request(query, variables) {
      const res = await admin.graphql(query, variables ? { variables } : undefined);
      const body = ResponseBodySchema.safeParse(await res.json());
      if (!body.success)
        throw new AppError("SHOPIFY_GRAPHQL", `Admin API answered ${res.status} without a GraphQL body`, { details: body.error.issues });
      if (body.data.errors?.length) throw graphqlErrors(body.data.errors);
      return body.data.data;
    },
  };
}
