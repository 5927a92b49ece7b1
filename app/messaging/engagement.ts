import type { Sql } from "../db/sql";
import { discountCodeFor } from "../domain/campaigns";
import { isAppError } from "../lib/errors";
import { recordEngagement } from "./store";
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
  return { status: 302, location: withUtm(claims.target, campaignUtm(claims.campaignId)), recorded };
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
