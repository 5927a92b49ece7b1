// Session tokens (HS256 JWT) and the token-exchange / refresh-token endpoint.
import crypto from "node:crypto";
import type { TokenInfo } from "./engine";

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export function signJwt(payload: Record<string, unknown>, secret: string): string {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = b64url(JSON.stringify(payload));
  const sig = crypto.createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

export function verifyJwt(
  token: string,
  secret: string,
  nowSec: number,
  leeway = 10,
): { ok: true; payload: any } | { ok: false; reason: string } {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed" };
  let header: any;
  let payload: any;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString());
    payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString());
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (header.alg !== "HS256") return { ok: false, reason: "unsupported alg" };
  const expected = crypto.createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2]!, "base64url");
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return { ok: false, reason: "signature" };
  if (typeof payload.exp === "number" && nowSec > payload.exp + leeway) return { ok: false, reason: "expired" };
  if (typeof payload.nbf === "number" && nowSec + leeway < payload.nbf) return { ok: false, reason: "not yet valid" };
  return { ok: true, payload };
}

export interface SessionTokenOptions {
  userId?: number;
  expOffsetSec?: number;
  sid?: string;
}

export function mintSessionToken(shop: string, apiKey: string, apiSecret: string, nowMs: number, opts: SessionTokenOptions = {}): string {
  const now = Math.floor(nowMs / 1000);
  const userId = opts.userId ?? 70_000_001;
  return signJwt(
    {
      iss: `https://${shop}/admin`,
      dest: `https://${shop}`,
      aud: apiKey,
      sub: String(userId),
      exp: now + (opts.expOffsetSec ?? 60),
      nbf: now,
      iat: now,
      jti: crypto.randomUUID(),
      sid: opts.sid ?? crypto.createHash("sha256").update(`${shop}:${userId}`).digest("hex").slice(0, 32),
    },
    apiSecret,
  );
}

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
export const OFFLINE_TYPE = "urn:shopify:params:oauth:token-type:offline-access-token";
export const ONLINE_TYPE = "urn:shopify:params:oauth:token-type:online-access-token";

interface StoredToken extends TokenInfo {
  expiresAt: number | null;
  used: boolean;
}
interface StoredRefresh {
  shop: string;
  scopes: string[];
  expiresAt: number;
  replacedBy?: string;
  accessToken: string;
}

export interface AuthConfig {
  apiKey: string;
  apiSecret: string;
  scopes: () => string[];
  now: () => number;
}

export class TokenStore {
  private tokens = new Map<string, StoredToken>();
  private refresh = new Map<string, StoredRefresh>();
  constructor(private cfg: AuthConfig) {}

  /** Looks up an access token; undefined when unknown, expired or revoked. Marks it used. */
  check(token: string | undefined, shop: string): TokenInfo | undefined {
    if (!token) return undefined;
    const t = this.tokens.get(token);
    if (!t || t.shop !== shop) return undefined;
    if (t.expiresAt != null && this.cfg.now() >= t.expiresAt) return undefined;
    if (!t.used) {
      t.used = true;
      // The previous refresh token stays valid until its replacement's access token is used.
      for (const [k, r] of this.refresh) if (r.replacedBy && this.refresh.get(r.replacedBy)?.accessToken === token) this.refresh.delete(k);
    }
    return t;
  }

  revokeShop(shop: string) {
    for (const [k, t] of this.tokens) if (t.shop === shop) this.tokens.delete(k);
    for (const [k, r] of this.refresh) if (r.shop === shop) this.refresh.delete(k);
  }

  issueOffline(shop: string, expiring: boolean) {
    const scopes = this.cfg.scopes();
    const token = "shpat_" + crypto.randomBytes(16).toString("hex");
    const now = this.cfg.now();
    this.tokens.set(token, { token, shop, scopes, online: false, expiresAt: expiring ? now + 3600_000 : null, used: false });
    const body: Record<string, unknown> = { access_token: token, scope: scopes.join(",") };
    if (expiring) {
      const rt = "shprt_" + crypto.randomBytes(16).toString("hex");
      this.refresh.set(rt, { shop, scopes, expiresAt: now + 90 * 86400_000, accessToken: token });
      Object.assign(body, { expires_in: 3600, refresh_token: rt, refresh_token_expires_in: 90 * 86400 });
    }
    return body;
  }

  issueOnline(shop: string, userId: number) {
    const scopes = this.cfg.scopes();
    const token = "shpua_" + crypto.randomBytes(16).toString("hex");
    this.tokens.set(token, { token, shop, scopes, online: true, userId, expiresAt: this.cfg.now() + 86_399_000, used: false });
    return {
      access_token: token,
      scope: scopes.join(","),
      expires_in: 86399,
      associated_user_scope: scopes.join(","),
      session: crypto.randomBytes(16).toString("hex"),
      associated_user: {
        id: userId,
        first_name: "Demo",
        last_name: "Merchant",
        email: "merchant@example.com",
        email_verified: true,
        account_owner: true,
        locale: "en",
        collaborator: false,
      },
    };
  }

  /** Handles POST /{shop}/admin/oauth/access_token. Returns [status, json]. */
  exchange(shop: string, body: Record<string, string | undefined>): [number, unknown] {
    const { apiKey, apiSecret } = this.cfg;
    if (body.client_id !== apiKey) return [400, { error: "invalid_client", error_description: "Client credentials are invalid" }];
    if (body.client_secret !== apiSecret)
      return [
        401,
        {
          error: "invalid_client",
          error_description:
            "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
        },
      ];
    const expiring = body.expiring === "1" || body.expiring === "true";
    if (body.grant_type === "refresh_token") {
      const r = body.refresh_token ? this.refresh.get(body.refresh_token) : undefined;
      if (!r || r.shop !== shop || this.cfg.now() >= r.expiresAt)
        return [400, { error: "invalid_grant", error_description: "The refresh token is invalid, expired, or revoked." }];
      const out = this.issueOffline(shop, true);
      const next = this.refresh.get(out.refresh_token as string)!;
      next.expiresAt = r.expiresAt; // rotation keeps the original refresh-token lifetime
      out.refresh_token_expires_in = Math.max(0, Math.floor((r.expiresAt - this.cfg.now()) / 1000));
      r.replacedBy = out.refresh_token as string;
      return [200, out];
    }
    if (body.grant_type !== TOKEN_EXCHANGE_GRANT)
      return [
        400,
        { error: "unsupported_grant_type", error_description: `The grant type ${body.grant_type ?? "(none)"} is not supported.` },
      ];
    if (body.subject_token_type !== ID_TOKEN_TYPE)
      return [400, { error: "invalid_request", error_description: "subject_token_type must be urn:ietf:params:oauth:token-type:id_token" }];
    if (!body.subject_token) return [400, { error: "invalid_request", error_description: "subject_token is required" }];
    const v = verifyJwt(body.subject_token, apiSecret, Math.floor(this.cfg.now() / 1000));
    if (!v.ok) return [400, { error: "invalid_subject_token", error_description: `The subject token is invalid (${v.reason}).` }];
    const p = v.payload;
    if (p.aud !== apiKey)
      return [400, { error: "invalid_subject_token", error_description: "The subject token audience does not match the client." }];
    if (p.dest !== `https://${shop}`)
      return [400, { error: "invalid_subject_token", error_description: "The subject token was issued for a different shop." }];
    if (body.requested_token_type === ONLINE_TYPE) return [200, this.issueOnline(shop, Number(p.sub))];
    if (body.requested_token_type && body.requested_token_type !== OFFLINE_TYPE)
      return [400, { error: "invalid_request", error_description: "Unsupported requested_token_type" }];
    return [200, this.issueOffline(shop, expiring)];
  }
}
