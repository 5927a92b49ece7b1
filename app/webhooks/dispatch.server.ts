import type { Session } from "@shopify/shopify-api";
import { authenticate } from "../shopify.server";
import { database } from "../db.server";
import { env } from "../env.server";
import type { Database } from "../db/open";
import { AppError, httpStatusFor, isAppError } from "../lib/errors";
import { parseJsonClean } from "../lib/text";
import { BodyTooLarge, checkDeliveryAge, MAX_WEBHOOK_BODY_BYTES, readBodyCapped } from "./boundary";
import { CLAIM_RETENTION_MS, claimDelivery, createClaimCompleter, DEFAULT_CLAIM_LEASE_MS, pruneClaims, releaseClaim } from "./claims";
import type { WebhookHandlers } from "./handlers.server";
import { EVENTS_HMAC_HEADER, topicForStorage, verifyWebhook } from "./verify";

/**
 * Every webhook route goes through here (docs/decisions/005-webhook-boundary.md):
 *  1. the body is read with a size cap (413) before anything buffers it;
 *  2. the HMAC (401) and the required headers (400) are checked: by ./verify.ts for every topic
 *     whose handler needs no session, by authenticate.webhook (which also loads the shop's offline
 *     session) for the others and for Shopify's event deliveries (ADR 108);
 *  3. a body that is not JSON is 400, not 500: Shopify would retry a 500 for hours to no avail;
 *  4. a delivery older than Shopify's retry window is refused (400);
 *  5. the delivery is claimed by webhook id and event id before its handler runs; a duplicate
 *     answers 200 without running; a failed handler releases the claim so the retry runs again;
 *  6. the handler gets the body with NUL removed (app/lib/text.ts, the one string rule).
 * A handler's AppError answers its status (bad input 400, a body naming another shop 401); any
 * other failure answers 500 so Shopify retries.
 */
export interface DispatchOptions {
  /** Topic to handler: the composition root's map (app/app.server.ts passes it). */
  handlers: WebhookHandlers;
  db: Database;
  now: () => Date;
  /** Largest body read (bytes). */
  maxBodyBytes: number;
  /** How long a duplicate waits for a running delivery of the same event before answering 409. */
  inFlightWaitMs: number;
  claimLeaseMs: number;
  /**
   * Every this many completed deliveries (per process), finished claims older than the retention
   * are pruned in the background. Deliveries are what grows the table, so they pay for keeping it
   * small, a bounded batch at a time, without a scheduler of their own.
   */
  pruneEvery: number;
  /** The app secret deliveries are signed with. */
  secret: () => string;
  /**
   * Topics whose handler reads the shop's offline session (ctx.session): only these pay for
   * authenticate.webhook's session lookup. app/scopes_update (app/install.server.ts) is the one.
   */
  sessionTopics: ReadonlySet<string>;
}

let completedSincePrune = 0;
/** One per process: every delivery's completion joins its group commits. */
const completeClaim = createClaimCompleter();

const defaults = (): Omit<DispatchOptions, "handlers"> => ({
  db: database,
  now: () => new Date(),
  maxBodyBytes: MAX_WEBHOOK_BODY_BYTES,
  // Below Shopify's 5-second delivery timeout, so the duplicate still answers in time.
  inFlightWaitMs: 3_000,
  claimLeaseMs: DEFAULT_CLAIM_LEASE_MS,
  pruneEvery: 1_000,
  secret: () => env().SHOPIFY_API_SECRET,
  sessionTopics: SESSION_TOPICS,
});

const SESSION_TOPICS: ReadonlySet<string> = new Set(["APP_SCOPES_UPDATE"]);

const text = (status: number, body = "") =>
  new Response(body || null, { status, headers: body ? { "Content-Type": "text/plain; charset=utf-8" } : {} });

/** PostgreSQL's numeric_value_out_of_range (22003), e.g. an id above 2^63 - 1 for a bigint column. */
const isOutOfRange = (e: unknown) => (e as { code?: string } | null)?.code === "22003";

function isJson(raw: string): boolean {
  try {
    JSON.parse(raw);
    return true;
  } catch {
    return false;
  }
}

export async function receiveWebhook(
  request: Request,
  options: Partial<DispatchOptions> & Pick<DispatchOptions, "handlers">,
): Promise<Response> {
  const o: DispatchOptions = { ...defaults(), ...options };
  if (request.method !== "POST") return text(405, "POST only");

  let raw: string;
  try {
    raw = await readBodyCapped(request, o.maxBodyBytes);
  } catch (e) {
    if (e instanceof BodyTooLarge) return text(413, e.message);
    throw e;
  }

  let shop: string, topic: string, webhookId: string, eventId: string | undefined, triggeredAt: string | undefined;
  let session: Session | undefined;
  let payload: unknown;
  const headerTopic = request.headers.get("x-shopify-topic");
  if (!request.headers.get(EVENTS_HMAC_HEADER) && !(headerTopic && o.sessionTopics.has(topicForStorage(headerTopic)))) {
    const v = verifyWebhook(raw, request.headers, o.secret());
    if (!v.ok) return new Response(null, { status: v.status }); // as the library answers: no body
    ({ shop, topic, webhookId, eventId, triggeredAt } = v.webhook);
    try {
      payload = parseJsonClean(raw);
    } catch {
      return text(400, "Webhook body is not JSON");
    }
  } else {
    // authenticate.webhook reads the body itself: hand it an identical request over the text we read.
    let ctx: Awaited<ReturnType<typeof authenticate.webhook>>;
    try {
      ctx = await authenticate.webhook(new Request(request.url, { method: "POST", headers: request.headers, body: raw }));
    } catch (e) {
      if (e instanceof Response) return e; // 401 bad HMAC, 400 missing headers
      // The library JSON.parses the body once the HMAC is valid: a validly signed non-JSON body is bad input.
      if (e instanceof SyntaxError && !isJson(raw)) return text(400, "Webhook body is not JSON");
      throw e;
    }
    ({ shop, topic, webhookId } = ctx);
    eventId = "eventId" in ctx ? ctx.eventId : undefined;
    triggeredAt = ctx.triggeredAt;
    session = ctx.session ?? undefined;
    payload = parseJsonClean(raw);
  }

  try {
    checkDeliveryAge(triggeredAt, o.now());
  } catch (e) {
    if (isAppError(e)) {
      console.warn(`[webhooks] ${topic} from ${shop} refused: ${e.message}`);
      return text(httpStatusFor(e.code), e.message);
    }
    throw e;
  }

  // Own keys only: a topic named like an Object.prototype member ("constructor") has no handler.
  const handler = Object.hasOwn(o.handlers, topic) ? o.handlers[topic] : undefined;
  if (!handler) {
    console.warn(`[webhooks] no handler for ${topic}`);
    return text(200);
  }

  await o.db.ready();
  const sql = o.db.sql;
  const key = { webhookId, shop, topic, eventId };
  const waitUntil = Date.now() + o.inFlightWaitMs;
  let claimed = await claimDelivery(sql, key, { now: o.now, leaseMs: o.claimLeaseMs });
  // A duplicate arriving while the first delivery runs waits for its outcome: done → 200, released
  // (it failed) → this one runs it. Still running after the wait → 409, and Shopify retries later.
  while (claimed.kind === "in_flight" && Date.now() < waitUntil) {
    await new Promise((r) => setTimeout(r, 25));
    claimed = await claimDelivery(sql, key, { now: o.now, leaseMs: o.claimLeaseMs });
  }
  if (claimed.kind === "done") return text(200);
  if (claimed.kind === "in_flight") return text(409, "A delivery of this event is being processed; retry later");

  try {
    await handler({ shop, topic, payload, webhookId, session, db: o.db });
  } catch (e) {
    await releaseClaim(sql, claimed.claim).catch((re) => console.error(`[webhooks] could not release the claim of ${webhookId}`, re));
    if (e instanceof AppError && e.code !== "INTERNAL") {
      console.error(`[webhooks] ${topic} from ${shop} rejected: ${e.message}`);
      return text(httpStatusFor(e.code), e.message);
    }
    // A validly signed body holding a number no column can store (an id above 2^63) never will.
    if (isOutOfRange(e)) {
      console.error(`[webhooks] ${topic} from ${shop} rejected: a value is out of range`, e);
      return text(400, "A numeric value in the body is out of range");
    }
    console.error(`[webhooks] ${topic} from ${shop} failed`, e);
    return text(500, "handler failed");
  }
  await completeClaim(sql, claimed.claim, o.now());
  if (++completedSincePrune >= o.pruneEvery) {
    completedSincePrune = 0;
    // Not awaited: the delivery's answer does not wait on housekeeping, and a failure is only logged.
    void pruneClaims(sql, new Date(o.now().getTime() - CLAIM_RETENTION_MS)).catch((e) =>
      console.error("[webhooks] pruning old claims failed", e),
    );
  }
  return text(200);
}
