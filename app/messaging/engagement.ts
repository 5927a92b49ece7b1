import type { Sql } from "../db/sql";
import { discountCodeFor } from "../domain/campaigns";
import { AppError, isAppError } from "../lib/errors";
import { z } from "zod";
import { recordEngagement, recordStorefrontVisit } from "./store";
import { createClickToken, createOpenToken, verifyClickToken, verifyOpenToken, type TrackingClaims } from "./token";
import { classifyUserAgent, isMachineClick, isMachineOpen, linkTargets, MACHINE_OPEN_WINDOW_MS, trackEmail, withUtm } from "./tracking";

/**
 * Click redirects and open pixels of sent emails (docs/decisions/093-engagement-tracking.md): the
 * use cases behind the public routes `/t/:token` and `/o/:token`. The signed token is the
 * authority (no session); a token that does not verify records nothing and redirects nowhere.
 */
export interface EngagementDeps {
  sql: Sql;
  /** SHOPIFY_API_SECRET: signs and verifies the tokens. */
  secret: string;
  now: () => Date;
}

/**
 * The UTM parameters of a campaign's links: the same values as its Shopify marketing activity
 * (`marketingUtm` in app/campaigns/marketing-report.ts, derived the same way here because messaging
 * must not import campaigns), so Shopify attributes the visit to the activity.
 */
export function campaignUtm(campaignId: string | undefined): { source: string; medium: string; campaign: string } | null {
  return campaignId ? { source: "winback", medium: "email", campaign: discountCodeFor(campaignId).toLowerCase() } : null;
}

/**
 * Rewrites a composed email body for tracking: every http(s) link becomes `<appUrl>/t/<token>`
 * (the token signs the message and the exact target) and an open pixel `<appUrl>/o/<token>` is
 * appended. A link whose target the token refuses stays direct; the messenger sends untracked
 * if this throws at all, so tracking can never stop an email between its claim and the SMTP send.
 */
export function trackedBody(
  secret: string,
  appUrl: string,
  claims: TrackingClaims,
  body: { text: string; html: string },
): { text: string; html: string } {
  const base = appUrl.replace(/\/+$/, "");
  const targets = linkTargets(body.html).filter((t) => t.length <= 2000);
  const signed: Array<{ target: string; url: string }> = [];
  for (const target of targets) {
    try {
      signed.push({ target, url: `${base}/t/${createClickToken(secret, { ...claims, linkIndex: signed.length, target })}` });
    } catch {
      // A target the token refuses (not a URL zod accepts) stays a direct link rather than stopping the email.
    }
  }
  return trackEmail(body, {
    targets: signed.map((s) => s.target),
    urlFor: (i) => signed[i]!.url,
    pixelUrl: `${base}/o/${createOpenToken(secret, claims)}`,
  });
}

export type ClickOutcome = { status: 302; location: string; recorded: boolean } | { status: 400; error: string };

/**
 * A click: verify, record (every click a row; a double click is two clicks and one unique), and
 * send the reader to the signed target with the campaign's UTM parameters. A failure to record
 * still redirects: the customer must reach the shop whatever happens to our statistics.
 */
export async function recordClick(deps: EngagementDeps, token: string, userAgent: string | null): Promise<ClickOutcome> {
  let claims;
  try {
    claims = verifyClickToken(deps.secret, token);
  } catch (e) {
    if (isAppError(e)) return { status: 400, error: e.message };
    throw e;
  }
  const ua = classifyUserAgent(userAgent);
  let recorded = false;
  try {
    recorded = (
      await recordEngagement(deps.sql, {
        shop: claims.shop,
        messageLogId: claims.messageLogId,
        customerId: claims.customerId,
        kind: "click",
        linkIndex: claims.linkIndex,
        link: claims.target,
        machine: isMachineClick(ua),
        userAgentClass: ua,
        at: deps.now(),
      })
    ).recorded;
  } catch (e) {
    console.error(`[messaging] click on message ${claims.messageLogId} not recorded: ${(e as Error).message}`);
  }
  return { status: 302, location: withMessageRef(withUtm(claims.target, campaignUtm(claims.campaignId)), claims.messageLogId), recorded };
}

export type OpenOutcome = { status: 200; recorded: boolean; machine: boolean } | { status: 400; error: string };

/** An open-pixel load: verify and record, flagged `machine` by the rule in tracking.ts. */
export async function recordOpen(deps: EngagementDeps, token: string, userAgent: string | null): Promise<OpenOutcome> {
  let claims;
  try {
    claims = verifyOpenToken(deps.secret, token);
  } catch (e) {
    if (isAppError(e)) return { status: 400, error: e.message };
    throw e;
  }
  const ua = classifyUserAgent(userAgent);
  try {
    const r = await recordEngagement(deps.sql, {
      shop: claims.shop,
      messageLogId: claims.messageLogId,
      customerId: claims.customerId,
      kind: "open",
      linkIndex: null,
      link: null,
      // The User-Agent part of the rule here; the "seconds after the send" part needs the message's sentAt (in SQL).
      machine: isMachineOpen(ua, new Date(0), null),
      machineWindowMs: MACHINE_OPEN_WINDOW_MS,
      userAgentClass: ua,
      at: deps.now(),
    });
    return { status: 200, recorded: r.recorded, machine: r.machine };
  } catch (e) {
    console.error(`[messaging] open of message ${claims.messageLogId} not recorded: ${(e as Error).message}`);
    return { status: 200, recorded: false, machine: false };
  }
}

// ─── Storefront visits (docs/decisions/102-visits-codes-and-won-back-health.md) ─────

/** The query parameter a click redirect adds so the landing page's visit can name its message. */
export const MESSAGE_REF_PARAM = "wb";
/** Page views of one customer this close together are one visit; a click this recent ties the visit to its message. */
export const VISIT_WINDOW_MS = 30 * 60 * 1000;

/** Adds `wb=<message id>` to a redirect target (kept if the link already has one). */
export function withMessageRef(target: string, messageLogId: string): string {
  const url = new URL(target);
  if (!url.searchParams.has(MESSAGE_REF_PARAM)) url.searchParams.set(MESSAGE_REF_PARAM, messageLogId);
  return url.toString();
}

/**
 * What the theme app embed posts. The path only (the script strips the query string, which can
 * carry anything); `wb` is the message reference the landing URL had. Neither names the customer:
 * that comes from Shopify's signed proxy query.
 */
export const VisitBodySchema = z
  .object({
    path: z
      .string()
      .min(1)
      .max(2048)
      .regex(/^\/[^?#\s]*$/, "a storefront path: starts with /, no query string, no spaces"),
    wb: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/)
      .nullish(),
  })
  .strict();
export type VisitBody = z.infer<typeof VisitBodySchema>;

export type VisitOutcome = { status: 202; recorded: boolean; messageLogId: string | null } | { status: 204; reason: "guest" };

/**
 * A storefront visit reported through the app proxy. `customerId` is Shopify's signed
 * `logged_in_customer_id` (empty for a guest: nothing is recorded, there is nobody to tie it to);
 * the consent check happened in the browser (the script sends nothing unless the Customer
 * Privacy API allows analytics). Deduplicated per customer and 30 minutes by the store.
 */
export async function recordVisit(
  deps: Pick<EngagementDeps, "sql" | "now">,
  input: { shop: string; customerId: string; body: unknown },
): Promise<VisitOutcome> {
  if (!input.customerId) return { status: 204, reason: "guest" };
  if (!/^\d{1,20}$/.test(input.customerId)) throw new AppError("INVALID_INPUT", "logged_in_customer_id is not a customer id");
  const parsed = VisitBodySchema.safeParse(input.body);
  if (!parsed.success)
    throw new AppError(
      "INVALID_INPUT",
      `visit: ${parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ")}`,
    );
  const r = await recordStorefrontVisit(deps.sql, {
    shop: input.shop,
    customerId: input.customerId,
    messageLogId: parsed.data.wb ?? null,
    path: parsed.data.path,
    at: deps.now(),
    windowMs: VISIT_WINDOW_MS,
  });
  return { status: 202, ...r };
}
