import { randomUUID } from "node:crypto";
import type { Transporter } from "nodemailer";
import type { Sql } from "../db/sql";
import { parseCampaignSettings } from "../domain/campaigns/settings";
import { AppError } from "../lib/errors";
import { EmailAddressSchema, isSingleEmailAddress } from "../lib/email-address";
import { parseOrThrow, ShopDomain } from "../lib/parse";
import { loadSettingsSection, shopFacts } from "../shop-settings.server";
import { emailContact } from "../sync/store/customers";
import { z } from "zod";
import { composeEmail, EmailContentSchema, withHtmlFooter, withTextFooter, type Footer } from "./compose";
import { trackedBody } from "./engagement";
import { parseMessagingSettings, type MessagingSettings } from "./settings";
import { lockCustomerMail, mailGates, markMessageFailed, markMessageInterrupted, markMessageSent, recordMessageDecision } from "./store";
import { createUnsubscribeToken } from "./token";
import type { Messenger, OutboundEmail, SendOutcome, SkipReason } from "./types";

/**
 * Consent-gated email delivery (the Messenger of app/messaging/types.ts).
 *
 * Order of the gates, all decided inside one transaction holding a per-customer advisory lock, so
 * two campaigns sending to the same customer at once cannot both pass a cap:
 *   dedupeKey already sent/claimed → duplicate; suppressed (unsubscribed through Winback or
 *   complained) → unsubscribed; consent not SUBSCRIBED or no email → not_subscribed; another
 *   win-back message within the cap → frequency_cap; the shop's contact cap (marketing emails per
 *   customer per 30 days, every kind) reached → contact_cap; no postal address in the shop's email
 *   settings → no_postal_address; no SMTP transport → no_mail_server. Every decision is a MessageLog row.
 *
 * Every email carries the shop's identity (docs/decisions/080-email-identity.md): the sender name
 * (the concierge's name first for VIP notes), the reply-to (the concierge's address for VIP notes),
 * and a footer with the shop's postal address and the unsubscribe link, in the shop's customer locale.
 *
 * Delivery is at-most-once: the row is claimed as `sending` before SMTP and marked `sent` after.
 * A process killed in between leaves `sending`; once the lease has passed, the next attempt with the
 * same key resolves it to `failed/interrupted` and does NOT send again (a duplicate marketing email
 * costs more than a missed touch). An SMTP error the server reported means nothing was accepted:
 * the row becomes `failed/smtp_error` and a retry with the same key may send.
 */
export interface MessengerDeps {
  sql: Sql;
  /** null when SMTP_URL is not configured: every send is recorded as skipped/no_mail_server. */
  transport: Pick<Transporter, "sendMail"> | null;
  /** Public origin of the app (SHOPIFY_APP_URL): the unsubscribe links point here. */
  appUrl: string;
  /** SHOPIFY_API_SECRET: signs unsubscribe tokens. */
  secret: string;
  /** MAIL_FROM, e.g. `Winback <winback@example.com>`: its address is the envelope sender; the display name is the shop's. */
  from: string;
  now?: () => Date;
  /** Fallback when the shop has no campaign settings (default 48). */
  frequencyCapHours?: number;
  /** Optional `mailto:` address added to List-Unsubscribe (RFC 2369). */
  unsubscribeMailto?: string;
  /** How long a `sending` claim is presumed in flight before a retry declares it interrupted. */
  sendingLeaseMs?: number;
  /**
   * How long the shop's name, zone, currency, email settings and frequency cap are reused between
   * emails, in real time (not `now`). Default 0: read for every email, as direct callers and tests
   * that rewrite settings between sends expect; the app's wiring (feature.ts) passes
   * SHOP_CONTEXT_TTL_MS. Saving the email settings forgets them at once (forgetShopMailContext).
   */
  shopContextTtlMs?: number;
  /**
   * Engagement tracking (docs/decisions/093-engagement-tracking.md): links rewritten to signed
   * `/t/` redirects and an open pixel `/o/`. Default off for direct callers and tests that read the
   * links of the mail; the app's wiring (feature.ts) turns it on for every email it sends.
   */
  trackEngagement?: boolean;
}

/** What every email of a shop needs from the Shop row, read once per shop and TTL (docs/decisions/085-email-throughput.md). */
interface ShopMailContext {
  facts: { name: string; currencyCode: string; ianaTimezone: string; email: string | null };
  settings: MessagingSettings;
  /** The campaign settings' frequencyCapHours; null when unset (each messenger applies its own fallback). */
  campaignCap: number | null;
}

/**
 * The app's reuse window: a changed campaign frequency cap or shop name reaches email within 30 s
 * (the email settings page forgets the entry at once), for ~1 read of the Shop row per shop per
 * 30 s instead of three per email.
 */
export const SHOP_CONTEXT_TTL_MS = 30_000;

// Per database handle, so two databases (tests) never share an entry; a campaign's 400k emails
// re-read the Shop row about once per TTL instead of three times per email.
// Entries keep when they were read, so messengers with different TTLs can share them.
const shopContexts = new WeakMap<Sql, Map<string, { readAt: number; value: Promise<ShopMailContext> }>>();

/** Drops the cached context of a shop (the email settings page calls it after saving). */
export function forgetShopMailContext(sql: Sql, shop: string): void {
  shopContexts.get(sql)?.delete(shop);
}

const OutboundSchema = z
  .object({
    shop: ShopDomain,
    customerId: z.string().regex(/^\d{1,20}$/, "must be a legacy customer id (decimal string)"),
    kind: z.enum(["winback_standard", "winback_vip", "points_nudge"]),
    dedupeKey: z.string().min(1).max(300),
    campaignId: z.string().min(1).max(100).optional(),
    content: EmailContentSchema.optional(),
    subject: z.string().trim().min(1).max(300).optional(),
    text: z.string().min(1).optional(),
    html: z.string().min(1).optional(),
    fromName: z.string().trim().max(120).optional(),
    // One address: a list ("a@x.com, b@y.com") would make every reply fan out (lib/email-address).
    replyTo: EmailAddressSchema.optional(),
  })
  .refine((m) => m.content || (m.subject && m.text && m.html), "an email needs content, or subject, text and html");

type Decision = { send: false; reason: SkipReason } | { send: true; logId: string; messageId: string; to: string };

export const DEFAULT_FREQUENCY_CAP_HOURS = 48;
const DEFAULT_LEASE_MS = 10 * 60_000;
const CONTACT_CAP_WINDOW_MS = 30 * 86_400_000;

export function isCappedKind(kind: string): boolean {
  // Points nudges are about the customer's own balance and have their own per-lot schedule; they
  // neither count towards nor are blocked by the win-back frequency cap (docs/decisions/072-messaging.md).
  // The contact cap (ADR 080) counts every kind.
  return kind.startsWith("winback_");
}

/** The shop's email settings, or the defaults when the stored section no longer parses. */
export async function loadMessagingSettings(sql: Sql, shop: string): Promise<MessagingSettings> {
  return loadSettingsSection(sql, shop, "messaging", parseMessagingSettings);
}

/** The shop's win-back frequency cap from its campaign settings, null when unset or no longer parsing. */
async function campaignCapHours(sql: Sql, shop: string): Promise<number | null> {
  try {
    return await loadSettingsSection(sql, shop, "campaigns", (raw) =>
      raw && typeof raw === "object" && Object.keys(raw).length ? parseCampaignSettings(raw).frequencyCapHours : null,
    );
  } catch {
    // Stored settings that no longer parse must not stop delivery; the default cap is the safe side.
    return null;
  }
}

export function createMessenger(deps: MessengerDeps): Messenger & { frequencyCapHours(shop: string): Promise<number> } {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.sendingLeaseMs ?? DEFAULT_LEASE_MS;
  const host = new URL(deps.appUrl).hostname;
  const fromAddress = parseAddress(deps.from);
  if (!deps.secret) throw new AppError("CONFIG", "The messenger needs the app secret to sign unsubscribe links");

  const capOrFallback = (hours: number | null) => hours ?? deps.frequencyCapHours ?? DEFAULT_FREQUENCY_CAP_HOURS;
  async function frequencyCapHours(shop: string): Promise<number> {
    return capOrFallback(await campaignCapHours(deps.sql, shop));
  }

  const ttlMs = deps.shopContextTtlMs ?? 0;
  async function readShopContext(shop: string): Promise<ShopMailContext> {
    const [facts, settings, campaignCap] = await Promise.all([
      shopFacts(deps.sql, shop),
      loadMessagingSettings(deps.sql, shop),
      campaignCapHours(deps.sql, shop),
    ]);
    return { facts, settings, campaignCap };
  }
  function shopContext(shop: string): Promise<ShopMailContext> {
    if (ttlMs <= 0) return readShopContext(shop);
    let perDb = shopContexts.get(deps.sql);
    if (!perDb) shopContexts.set(deps.sql, (perDb = new Map()));
    const hit = perDb.get(shop);
    const t = performance.now();
    if (hit && t - hit.readAt < ttlMs) return hit.value;
    // The promise is shared, so 32 concurrent first emails of a shop read it once; a failed read is not kept.
    const value = readShopContext(shop);
    const entry = { readAt: t, value };
    perDb.set(shop, entry);
    value.catch(() => {
      if (perDb.get(shop) === entry) perDb.delete(shop);
    });
    return value;
  }

  async function decide(msg: OutboundEmail, subject: string, at: Date, capHours: number, settings: MessagingSettings): Promise<Decision> {
    return deps.sql.transaction(async (tx) => {
      await lockCustomerMail(tx, msg.shop, msg.customerId);
      // Read after the lock is granted (a separate statement), so every claim committed before is seen.
      const c = await emailContact(tx, msg.shop, msg.customerId);
      const gates = await mailGates(tx, {
        shop: msg.shop,
        customerId: msg.customerId,
        dedupeKey: msg.dedupeKey,
        email: c?.email ?? null,
        winbackSince: isCappedKind(msg.kind) && capHours > 0 ? new Date(at.getTime() - capHours * 3_600_000) : null,
        contactSince: new Date(at.getTime() - CONTACT_CAP_WINDOW_MS),
      });
      const existing = gates.existing;
      if (existing) {
        if (existing.status === "sent") return { send: false, reason: "duplicate" as const };
        if (existing.status === "failed" && existing.reason === "interrupted") return { send: false, reason: "duplicate" as const };
        if (existing.status === "sending") {
          if (at.getTime() - new Date(existing.updatedAt).getTime() >= leaseMs) await markMessageInterrupted(tx, existing.id, at);
          return { send: false, reason: "duplicate" as const };
        }
        // skipped or failed before SMTP accepted anything: decide again.
      }
      const suppressed = c ? gates.suppressed : false;
      let reason: SkipReason | null = null;
      // Suppression first: an unsubscribe also flips our copy of the consent, and the reason should say which.
      if (suppressed) reason = "unsubscribed";
      // An address that is not exactly one mailbox (a list, a display name, a line break) is no usable
      // email: nodemailer would send to every address in it. Last check on the sending path.
      else if (!c || !c.email || !isSingleEmailAddress(c.email) || c.emailConsent !== "SUBSCRIBED") reason = "not_subscribed";
      else if (gates.recentWinback) reason = "frequency_cap";
      else if (gates.recentMarketing >= settings.contactCapPer30Days) reason = "contact_cap";
      else if (!settings.postalAddress.trim()) reason = "no_postal_address";
      else if (!deps.transport) reason = "no_mail_server";
      const messageId = reason ? null : `<${randomUUID()}@${host}>`;
      const logId = await recordMessageDecision(tx, {
        shop: msg.shop,
        customerId: msg.customerId,
        kind: msg.kind,
        dedupeKey: msg.dedupeKey,
        campaignId: msg.campaignId ?? null,
        reason,
        messageId,
        toAddress: c?.email ?? null,
        subject,
        at,
      });
      if (reason) return { send: false, reason };
      return { send: true, logId, messageId: messageId!, to: c!.email! };
    });
  }

  async function sendEmail(input: OutboundEmail): Promise<SendOutcome> {
    const msg = parseOrThrow(OutboundSchema, input, "outbound email") as OutboundEmail;
    const at = now();
    // Read before the claim: anything failing between claim and SMTP would look like an interrupted send.
    const { facts, settings, campaignCap } = await shopContext(msg.shop);
    const capHours = capOrFallback(campaignCap);
    const words = msg.content
      ? composeEmail(msg.content, {
          locale: settings.locale,
          shopName: facts.name,
          currencyCode: facts.currencyCode,
          timeZone: facts.ianaTimezone,
          templates: settings.templates,
        })
      : { subject: msg.subject!, text: msg.text!, html: msg.html! };
    const d = await decide(msg, words.subject, at, capHours, settings);
    if (!d.send) return { status: "skipped", reason: d.reason };

    const token = createUnsubscribeToken(deps.secret, {
      shop: msg.shop,
      customerId: msg.customerId,
      messageLogId: d.logId,
      campaignId: msg.campaignId,
    });
    const base = deps.appUrl.replace(/\/+$/, "");
    // The footer link opens the confirmation page; the header's target is the one-click resource route.
    const unsubscribeUrl = `${base}/unsubscribe/${token}`;
    const oneClickUrl = `${base}/unsubscribe/one-click/${token}`;
    const listUnsubscribe = [
      `<${oneClickUrl}>`,
      ...(deps.unsubscribeMailto ? [`<mailto:${deps.unsubscribeMailto}?subject=unsubscribe>`] : []),
    ].join(", ");
    const identity = senderIdentity(settings, facts, msg);
    const body = deps.trackEngagement ? trackedOrPlain(deps, msg, d.logId, words) : words;
    const footer: Footer = {
      shopName: identity.shopName,
      postalAddress: settings.postalAddress,
      url: unsubscribeUrl,
      locale: settings.locale,
    };
    try {
      await deps.transport!.sendMail({
        from: { name: identity.fromName, address: fromAddress.address },
        to: d.to,
        replyTo: identity.replyTo,
        subject: words.subject,
        messageId: d.messageId,
        text: withTextFooter(body.text, footer),
        html: withHtmlFooter(body.html, footer),
        headers: {
          "List-Unsubscribe": listUnsubscribe,
          // RFC 8058: mailbox providers POST `List-Unsubscribe=One-Click` to the https URI.
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
          "X-Winback-Message": d.logId,
        },
      });
    } catch (e) {
      const err = e as Error & { responseCode?: number; code?: string };
      await markMessageFailed(deps.sql, d.logId, String(err.message ?? err), now());
      throw smtpError(err);
    }
    await markMessageSent(deps.sql, d.logId, now());
    return { status: "sent", messageId: d.messageId, unsubscribeUrl };
  }

  return { sendEmail, frequencyCapHours };
}

/** The body with tracked links and pixel; the plain body if tracking fails (nothing may stop a claimed email but SMTP). */
function trackedOrPlain(
  deps: Pick<MessengerDeps, "secret" | "appUrl">,
  msg: OutboundEmail,
  logId: string,
  words: { text: string; html: string },
): { text: string; html: string } {
  try {
    return trackedBody(
      deps.secret,
      deps.appUrl,
      { shop: msg.shop, customerId: msg.customerId, messageLogId: logId, campaignId: msg.campaignId },
      words,
    );
  } catch (e) {
    console.error(`[messaging] message ${logId} sent without tracking: ${(e as Error).message}`);
    return words;
  }
}

/**
 * Who the email is from and where replies go. The display name is the shop's sender name (or the
 * shop's name); a VIP note puts the concierge's name first ("Sam (Acme)"). Replies go to the
 * caller's address (the concierge, for VIP notes), else the shop's reply-to setting, else the
 * shop's contact email; never to the app's MAIL_FROM mailbox.
 */
export function senderIdentity(
  settings: Pick<MessagingSettings, "senderName" | "replyTo">,
  facts: { name: string; email: string | null },
  msg: Pick<OutboundEmail, "fromName" | "replyTo">,
): { fromName: string; replyTo: string | undefined; shopName: string } {
  const shopName = settings.senderName || facts.name;
  const person = msg.fromName?.trim();
  // "Sam (Fern & Fig)": the customer sees who writes and for which shop; a name already naming the shop stays as it is.
  const fromName = person ? (person.includes(shopName) ? person : `${person} (${shopName})`) : shopName;
  const shopReply = settings.replyTo || (isSingleEmailAddress(facts.email) ? facts.email!.trim() : undefined);
  return { fromName, replyTo: msg.replyTo || shopReply, shopName };
}

/** Maps a nodemailer failure: 5xx is permanent (retrying the same message will not help), the rest is transient. */
function smtpError(err: Error & { responseCode?: number; code?: string }): AppError {
  if (err.code === "EAUTH") return new AppError("CONFIG", `SMTP authentication failed: ${err.message}`, { cause: err, retryable: false });
  if (err.responseCode && err.responseCode >= 500) {
    return new AppError("INTERNAL", `SMTP server rejected the message (${err.responseCode}): ${err.message}`, {
      cause: err,
      retryable: false,
    });
  }
  return new AppError("NETWORK", `SMTP delivery failed: ${err.message}`, { cause: err, retryable: true });
}

export function parseAddress(from: string): { name: string; address: string } {
  const m = /^\s*(?:"?([^"<]*?)"?\s*)?<([^>]+)>\s*$/.exec(from);
  if (m) return { name: (m[1] ?? "").trim(), address: m[2]!.trim() };
  if (/^[^\s@]+@[^\s@]+$/.test(from.trim())) return { name: "", address: from.trim() };
  throw new AppError("CONFIG", `MAIL_FROM is not an address: ${from}`);
}

export { withHtmlFooter, withTextFooter, type Footer } from "./compose";
