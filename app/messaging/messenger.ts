import { randomUUID } from "node:crypto";
import type { Transporter } from "nodemailer";
import type { Sql } from "../db/sql";
import { parseCampaignSettings } from "../domain/campaigns/settings";
import { AppError } from "../lib/errors";
import { EmailAddressSchema, isSingleEmailAddress } from "../lib/email-address";
import { parseOrThrow, ShopDomain } from "../lib/parse";
import { loadSettingsSection, shopFacts } from "../shop-settings.server";
import { customersByIds, emailContact } from "../sync/store/customers";
import { z } from "zod";
import { composeEmail, EmailContentSchema, withHtmlFooter, withTextFooter, type Footer } from "./compose";
import { trackedBody } from "./engagement";
import { parseMessagingSettings, type MessagingSettings } from "./settings";
import {
  lockCustomerMail,
  lockCustomersMail,
  mailGates,
  mailGatesMany,
  markMessageFailed,
  markMessageInterrupted,
  markMessageSent,
  markMessagesSent,
  recordMessageDecision,
  recordMessageDecisions,
  type MailGates,
  type MessageDecisionRow,
} from "./store";
import { createUnsubscribeToken } from "./token";
import type { BatchSendOutcome, Messenger, OutboundEmail, SendOutcome, SkipReason } from "./types";

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

export function createMessenger(
  deps: MessengerDeps,
): Messenger & Required<Pick<Messenger, "sendEmails">> & { frequencyCapHours(shop: string): Promise<number> } {
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
      const reason = gateReason(c, gates, settings);
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

  function compose(msg: OutboundEmail, { facts, settings }: ShopMailContext): { subject: string; text: string; html: string } {
    return msg.content
      ? composeEmail(msg.content, {
          locale: settings.locale,
          shopName: facts.name,
          currencyCode: facts.currencyCode,
          timeZone: facts.ianaTimezone,
          templates: settings.templates,
        })
      : { subject: msg.subject!, text: msg.text!, html: msg.html! };
  }

  async function sendEmail(input: OutboundEmail): Promise<SendOutcome> {
    const msg = parseOrThrow(OutboundSchema, input, "outbound email") as OutboundEmail;
    const at = now();
    // Read before the claim: anything failing between claim and SMTP would look like an interrupted send.
    const context = await shopContext(msg.shop);
    const capHours = capOrFallback(context.campaignCap);
    const words = compose(msg, context);
    const d = await decide(msg, words.subject, at, capHours, context.settings);
    if (!d.send) return { status: "skipped", reason: d.reason };
    let sent: { unsubscribeUrl: string };
    try {
      sent = await deliver(msg, words, d, context);
    } catch (e) {
      const err = e as Error & { responseCode?: number; code?: string };
      await markMessageFailed(deps.sql, d.logId, String(err.message ?? err), now());
      throw smtpError(err);
    }
    await markMessageSent(deps.sql, d.logId, now());
    return { status: "sent", messageId: d.messageId, unsubscribeUrl: sent.unsubscribeUrl };
  }

  /**
   * Many emails of one shop (a campaign's touch batch), decided together (docs/decisions/095-batched-sends.md):
   * one transaction locks every customer of the batch, reads their contacts and every gate in one
   * statement each, and claims all the sends in one multi-row upsert; then SMTP for each claimed
   * email (the pooled transport spreads them over its connections), and one update marks the ones
   * SMTP accepted. The same gates, order and at-most-once rule as sendEmail: a claim is written
   * before SMTP, so a process killed before the mark leaves `sending` rows that a retry answers
   * `duplicate`. Callers pass about as many as the transport sends at once, which is what a crash can
   * leave claimed but unsent. A failed SMTP send is `failed` (row failed/smtp_error; a retry may
   * send). A customer appearing twice is decided in a second round, after the first one's claim; a
   * dedupe key appearing twice is `duplicate` the second time.
   */
  async function sendEmails(inputs: OutboundEmail[]): Promise<BatchSendOutcome[]> {
    const msgs = inputs.map((m) => parseOrThrow(OutboundSchema, m, "outbound email") as OutboundEmail);
    if (!msgs.length) return [];
    const shop = msgs[0]!.shop;
    if (msgs.some((m) => m.shop !== shop)) throw new AppError("INVALID_INPUT", "A batch of emails belongs to one shop");
    const out: BatchSendOutcome[] = new Array(msgs.length);
    const context = await shopContext(shop);
    const capHours = capOrFallback(context.campaignCap);
    const words = msgs.map((m) => compose(m, context));
    const keys = new Set<string>();
    let pending: number[] = [];
    for (const [i, m] of msgs.entries()) {
      if (keys.has(m.dedupeKey)) {
        out[i] = { status: "skipped", reason: "duplicate" };
        continue;
      }
      keys.add(m.dedupeKey);
      pending.push(i);
    }
    while (pending.length) {
      // One message per customer per round: the caps of a customer's second message count the first.
      const seen = new Set<string>();
      const round: number[] = [];
      const later: number[] = [];
      for (const i of pending) {
        const id = msgs[i]!.customerId;
        if (seen.has(id)) later.push(i);
        else {
          seen.add(id);
          round.push(i);
        }
      }
      pending = later;
      const at = now();
      const ds = await decideMany(
        round.map((i) => msgs[i]!),
        round.map((i) => words[i]!.subject),
        at,
        capHours,
        context.settings,
      );
      const accepted: string[] = [];
      await Promise.all(
        round.map(async (i, k) => {
          const d = ds[k]!;
          if (!d.send) return void (out[i] = { status: "skipped", reason: d.reason });
          try {
            const sent = await deliver(msgs[i]!, words[i]!, d, context);
            accepted.push(d.logId);
            out[i] = { status: "sent", messageId: d.messageId, unsubscribeUrl: sent.unsubscribeUrl };
          } catch (e) {
            const err = e as Error & { responseCode?: number; code?: string };
            await markMessageFailed(deps.sql, d.logId, String(err.message ?? err), now());
            out[i] = { status: "failed", error: smtpError(err) };
          }
        }),
      );
      await markMessagesSent(deps.sql, accepted, now());
    }
    return out;
  }

  /** decide for a batch: BEGIN, lock all, contacts, gates, claims, COMMIT (six round trips however many). */
  async function decideMany(msgs: OutboundEmail[], subjects: string[], at: Date, capHours: number, settings: MessagingSettings) {
    const shop = msgs[0]!.shop;
    return deps.sql.transaction(async (tx): Promise<Decision[]> => {
      const ids = msgs.map((m) => m.customerId);
      await lockCustomersMail(tx, shop, ids);
      // After the locks are granted (a separate statement), so every claim committed before is seen.
      const contacts = await customersByIds(tx, shop, ids);
      const contactSince = new Date(at.getTime() - CONTACT_CAP_WINDOW_MS);
      const winbackSince = capHours > 0 ? new Date(at.getTime() - capHours * 3_600_000) : null;
      // Caps differ by kind (points nudges ignore the win-back cap): one gates read per kind class.
      const gates: MailGates[] = new Array(msgs.length);
      for (const capped of [true, false]) {
        const idx = msgs.flatMap((m, i) => (isCappedKind(m.kind) === capped ? [i] : []));
        if (!idx.length) continue;
        const g = await mailGatesMany(tx, {
          shop,
          items: idx.map((i) => ({ customerId: ids[i]!, dedupeKey: msgs[i]!.dedupeKey, email: contacts.get(ids[i]!)?.email ?? null })),
          winbackSince: capped ? winbackSince : null,
          contactSince,
        });
        idx.forEach((i, k) => (gates[i] = g[k]!));
      }
      const decisions: Decision[] = new Array(msgs.length);
      const claims: Array<{ i: number; row: MessageDecisionRow; messageId: string | null; reason: SkipReason | null }> = [];
      for (const [i, msg] of msgs.entries()) {
        const c = contacts.get(msg.customerId) ?? null;
        const g = gates[i]!;
        const existing = g.existing;
        if (existing) {
          if (existing.status === "sent" || (existing.status === "failed" && existing.reason === "interrupted")) {
            decisions[i] = { send: false, reason: "duplicate" };
            continue;
          }
          if (existing.status === "sending") {
            if (at.getTime() - new Date(existing.updatedAt).getTime() >= leaseMs) await markMessageInterrupted(tx, existing.id, at);
            decisions[i] = { send: false, reason: "duplicate" };
            continue;
          }
        }
        const reason = gateReason(c, g, settings);
        const messageId = reason ? null : `<${randomUUID()}@${host}>`;
        claims.push({
          i,
          reason,
          messageId,
          row: {
            shop,
            customerId: msg.customerId,
            kind: msg.kind,
            dedupeKey: msg.dedupeKey,
            campaignId: msg.campaignId ?? null,
            reason,
            messageId,
            toAddress: c?.email ?? null,
            subject: subjects[i]!,
            at,
          },
        });
      }
      const logIds = await recordMessageDecisions(
        tx,
        claims.map((c) => c.row),
      );
      claims.forEach((c, k) => {
        decisions[c.i] = c.reason
          ? { send: false, reason: c.reason }
          : { send: true, logId: logIds[k]!, messageId: c.messageId!, to: contacts.get(msgs[c.i]!.customerId)!.email! };
      });
      return decisions;
    });
  }

  /** Why a message is not sent (null: send), from the customer's contact and the gates read under the lock. */
  function gateReason(c: { email: string | null; emailConsent: string | null } | null, gates: MailGates, settings: MessagingSettings) {
    // Suppression first: an unsubscribe also flips our copy of the consent, and the reason should say which.
    if (c && gates.suppressed) return "unsubscribed" as const;
    // An address that is not exactly one mailbox (a list, a display name, a line break) is no usable
    // email: nodemailer would send to every address in it. Last check on the sending path.
    if (!c || !c.email || !isSingleEmailAddress(c.email) || c.emailConsent !== "SUBSCRIBED") return "not_subscribed" as const;
    if (gates.recentWinback) return "frequency_cap" as const;
    if (gates.recentMarketing >= settings.contactCapPer30Days) return "contact_cap" as const;
    if (!settings.postalAddress.trim()) return "no_postal_address" as const;
    if (!deps.transport) return "no_mail_server" as const;
    return null;
  }

  /** SMTP for one claimed email: the footer, the unsubscribe headers and the tracked body. Throws what the transport threw. */
  async function deliver(
    msg: OutboundEmail,
    words: { subject: string; text: string; html: string },
    d: Extract<Decision, { send: true }>,
    { facts, settings }: ShopMailContext,
  ): Promise<{ unsubscribeUrl: string }> {
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
    return { unsubscribeUrl };
  }

  return { sendEmail, sendEmails, frequencyCapHours };
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
