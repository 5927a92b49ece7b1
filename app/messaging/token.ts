import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { AppError } from "../lib/errors";
import { ShopDomain } from "../lib/parse";

/**
 * Unsubscribe tokens: `v1.<payload>.<signature>`, both base64url. The payload is compact JSON
 * naming the shop, customer, message log row and campaign; the signature is HMAC-SHA256 with the
 * app secret over a domain-separated string, so a token cannot be confused with any other value
 * the app signs with the same secret (webhooks, relay feedback). Tokens do not expire: a one-click
 * unsubscribe in a months-old email must still work.
 */
export interface UnsubscribeClaims {
  shop: string;
  /** Shopify legacy customer id (exact decimal string). */
  customerId: string;
  /** MessageLog id of the email that carried the link. */
  messageLogId?: string;
  campaignId?: string;
}

const PREFIX = "v1";
const DOMAIN = "winback:unsubscribe:v1:";

const Claims = z.object({
  s: ShopDomain,
  c: z.string().regex(/^\d{1,20}$/),
  m: z.string().min(1).max(64).optional(),
  k: z.string().min(1).max(100).optional(),
});

function sign(secret: string, payload: string): Buffer {
  return createHmac("sha256", secret)
    .update(DOMAIN + payload, "utf8")
    .digest();
}

export function createUnsubscribeToken(secret: string, claims: UnsubscribeClaims): string {
  if (!secret) throw new AppError("CONFIG", "Unsubscribe tokens need the app secret");
  const body: z.input<typeof Claims> = { s: claims.shop, c: claims.customerId };
  if (claims.messageLogId) body.m = claims.messageLogId;
  if (claims.campaignId) body.k = claims.campaignId;
  const payload = Buffer.from(JSON.stringify(Claims.parse(body)), "utf8").toString("base64url");
  return `${PREFIX}.${payload}.${sign(secret, payload).toString("base64url")}`;
}

/**
 * Verifies a token and returns its claims; anything malformed or tampered with is UNAUTHENTICATED
 * (forged) or INVALID_INPUT (not a token at all). The signature is compared in constant time.
 */
export function verifyUnsubscribeToken(secret: string, token: string): UnsubscribeClaims {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== PREFIX || !/^[A-Za-z0-9_-]+$/.test(parts[1]!) || !/^[A-Za-z0-9_-]+$/.test(parts[2]!)) {
    throw new AppError("INVALID_INPUT", "This unsubscribe link is malformed.");
  }
  const [, payload, sig] = parts as [string, string, string];
  const given = Buffer.from(sig, "base64url");
  const want = sign(secret, payload);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new AppError("UNAUTHENTICATED", "This unsubscribe link is not valid (signature mismatch).");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw new AppError("INVALID_INPUT", "This unsubscribe link is malformed.");
  }
  const r = Claims.safeParse(raw);
  if (!r.success) throw new AppError("INVALID_INPUT", "This unsubscribe link is malformed.");
  return { shop: r.data.s, customerId: r.data.c, messageLogId: r.data.m, campaignId: r.data.k };
}

/**
 * The mail relay's feedback signature: hex HMAC-SHA256 over a domain-separated string
 * ("winback-mail-feedback:" + raw body), with the relay's own secret (MAIL_RELAY_SECRET). Without
 * the prefix, hex(HMAC(secret, body)) is Shopify's webhook signature in another encoding: with the
 * app secret, whoever runs the relay could forge webhooks. Checked in constant time.
 */
export const FEEDBACK_SIGNATURE_DOMAIN = "winback-mail-feedback:";

function feedbackMac(secret: string, rawBody: string): Buffer {
  return createHmac("sha256", secret)
    .update(FEEDBACK_SIGNATURE_DOMAIN + rawBody, "utf8")
    .digest();
}

export function verifyBodySignature(secret: string, rawBody: string, signatureHex: string | null): boolean {
  if (!secret || !signatureHex || !/^[0-9a-fA-F]{64}$/.test(signatureHex.trim())) return false;
  const want = feedbackMac(secret, rawBody);
  const given = Buffer.from(signatureHex.trim(), "hex");
  return given.length === want.length && timingSafeEqual(given, want);
}

export function signBody(secret: string, rawBody: string): string {
  return feedbackMac(secret, rawBody).toString("hex");
}

/**
 * Engagement tracking tokens (docs/decisions/093-engagement-tracking.md): `t1.<payload>.<signature>`
 * for a click redirect, `o1.<payload>.<signature>` for an open pixel. The payload names the shop,
 * customer, message log row and campaign, and for a click the link's index and its exact target:
 * the redirect goes only where the signature says, so `/t/...` can never be an open redirect. The
 * HMAC domain differs from the unsubscribe one, so neither token can be replayed as the other.
 */
export interface TrackingClaims {
  shop: string;
  customerId: string;
  messageLogId: string;
  campaignId?: string;
}
export interface ClickClaims extends TrackingClaims {
  /** Position of the link in the email body (0 = first). */
  linkIndex: number;
  /** Where the click goes (http or https only). */
  target: string;
}

const TRACK_DOMAIN = "winback:track:v1:";
const TrackClaims = z.object({
  s: ShopDomain,
  c: z.string().regex(/^\d{1,20}$/),
  m: z.string().min(1).max(64),
  k: z.string().min(1).max(100).optional(),
  i: z.number().int().min(0).max(99).optional(),
  u: z
    .string()
    .max(2000)
    .url()
    .refine((u) => /^https?:\/\//i.test(u), "only http(s) targets")
    .optional(),
});
type TrackKind = "t1" | "o1";

function trackMac(secret: string, kind: TrackKind, payload: string): Buffer {
  return createHmac("sha256", secret).update(`${TRACK_DOMAIN}${kind}:${payload}`, "utf8").digest();
}

function signTracking(secret: string, kind: TrackKind, body: z.input<typeof TrackClaims>): string {
  if (!secret) throw new AppError("CONFIG", "Tracking links need the app secret");
  const payload = Buffer.from(JSON.stringify(TrackClaims.parse(body)), "utf8").toString("base64url");
  return `${kind}.${payload}.${trackMac(secret, kind, payload).toString("base64url")}`;
}

function verifyTracking(secret: string, kind: TrackKind, token: string): z.infer<typeof TrackClaims> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== kind || !/^[A-Za-z0-9_-]+$/.test(parts[1]!) || !/^[A-Za-z0-9_-]+$/.test(parts[2]!)) {
    throw new AppError("INVALID_INPUT", "This tracking link is malformed.");
  }
  const [, payload, sig] = parts as [string, string, string];
  const given = Buffer.from(sig, "base64url");
  const want = trackMac(secret, kind, payload);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    throw new AppError("UNAUTHENTICATED", "This link is not valid (signature mismatch).");
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw new AppError("INVALID_INPUT", "This tracking link is malformed.");
  }
  const r = TrackClaims.safeParse(raw);
  if (!r.success) throw new AppError("INVALID_INPUT", "This tracking link is malformed.");
  return r.data;
}

export function createClickToken(secret: string, c: ClickClaims): string {
  return signTracking(secret, "t1", { s: c.shop, c: c.customerId, m: c.messageLogId, k: c.campaignId, i: c.linkIndex, u: c.target });
}

export function verifyClickToken(secret: string, token: string): ClickClaims {
  const d = verifyTracking(secret, "t1", token);
  if (d.u === undefined || d.i === undefined) throw new AppError("INVALID_INPUT", "This tracking link is malformed.");
  return { shop: d.s, customerId: d.c, messageLogId: d.m, campaignId: d.k, linkIndex: d.i, target: d.u };
}

export function createOpenToken(secret: string, c: TrackingClaims): string {
  return signTracking(secret, "o1", { s: c.shop, c: c.customerId, m: c.messageLogId, k: c.campaignId });
}

export function verifyOpenToken(secret: string, token: string): TrackingClaims {
  const d = verifyTracking(secret, "o1", token);
  return { shop: d.s, customerId: d.c, messageLogId: d.m, campaignId: d.k };
}
