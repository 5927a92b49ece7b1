import { randomUUID } from "node:crypto";
import type { Transporter } from "nodemailer";
import type { Sql } from "../db/sql";
import { parseCampaignSettings } from "../domain/campaigns/settings";
import { AppError } from "../lib/errors";
import { EmailAddressSchema, isSingleEmailAddress } from "../lib/email-address";
import { parseOrThrow, ShopDomain } from "../lib/parse";
import { loadSettingsSection, shopFacts } from "../shop-settings.server";
import { z } from "zod";
import { createUnsubscribeToken } from "./token";
import type { Messenger, OutboundEmail, SendOutcome, SkipReason } from "./types";
import { escapeHtml } from "../lib/html";

/**
 * Consent-gated email delivery (the Messenger of app/messaging/types.ts).
 *
 * Order of the gates, all decided inside one transaction holding a per-customer advisory lock, so
 * two campaigns sending to the same customer at once cannot both pass the frequency cap:
 *   dedupeKey already sent/claimed → duplicate; suppressed (unsubscribed through Winback or
 *   complained) → unsubscribed; consent not SUBSCRIBED or no email → not_subscribed; another win-back message
 *   within the cap → frequency_cap; no SMTP transport → no_smtp. Every decision is a MessageLog row.
 *
 * Delivery is at-most-once: the row is claimed as `sending` before SMTP and marked `sent` after.
 * A process killed in between leaves `sending`; once the lease has passed, the next attempt with the
 * same key resolves it to `failed/interrupted` and does NOT send again (a duplicate marketing email
 * costs more than a missed touch). An SMTP error the server reported means nothing was accepted:
 * the row becomes `failed/smtp_error` and a retry with the same key may send.
 */
export interface MessengerDeps {
  sql: Sql;
  /** null when SMTP_URL is not configured: every send is recorded as skipped/no_smtp. */
  transport: Pick<Transporter, "sendMail"> | null;
  /** Public origin of the app (SHOPIFY_APP_URL): the unsubscribe links point here. */
  appUrl: string;
  /** SHOPIFY_API_SECRET: signs unsubscribe tokens. */
  secret: string;
  /** MAIL_FROM, e.g. `Winback <winback@example.com>`. */
  from: string;
  now?: () => Date;
  /** Fallback when the shop has no campaign settings (default 48). */
  frequencyCapHours?: number;
  /** Optional `mailto:` address added to List-Unsubscribe (RFC 2369). */
  unsubscribeMailto?: string;
  /** How long a `sending` claim is presumed in flight before a retry declares it interrupted. */
  sendingLeaseMs?: number;
}

const OutboundSchema = z.object({
  shop: ShopDomain,
  customerId: z.string().regex(/^\d{1,20}$/, "must be a legacy customer id (decimal string)"),
  kind: z.enum(["winback_standard", "winback_vip", "points_nudge"]),
  dedupeKey: z.string().min(1).max(300),
  campaignId: z.string().min(1).max(100).optional(),
  subject: z.string().trim().min(1).max(300),
  text: z.string().min(1),
  html: z.string().min(1),
  fromName: z.string().trim().max(120).optional(),
  // One address: a list ("a@x.com, b@y.com") would make every reply fan out (lib/email-address).
  replyTo: EmailAddressSchema.optional(),
});

interface LogRow {
  id: string;
  status: string;
  reason: string | null;
  updatedAt: Date;
}

interface CustomerRow {
  email: string | null;
  emailConsent: string | null;
  suppressed: boolean;
}

type Decision = { send: false; reason: SkipReason } | { send: true; logId: string; messageId: string; to: string };

export const DEFAULT_FREQUENCY_CAP_HOURS = 48;
const DEFAULT_LEASE_MS = 10 * 60_000;

export function isCappedKind(kind: string): boolean {
  // Points nudges are about the customer's own balance and have their own per-lot schedule; they
  // neither count towards nor are blocked by the win-back cap (docs/decisions/072-messaging.md).
  return kind.startsWith("winback_");
}

export function createMessenger(deps: MessengerDeps): Messenger & { frequencyCapHours(shop: string): Promise<number> } {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.sendingLeaseMs ?? DEFAULT_LEASE_MS;
  const host = new URL(deps.appUrl).hostname;
  const fromAddress = parseAddress(deps.from);
  if (!deps.secret) throw new AppError("CONFIG", "The messenger needs the app secret to sign unsubscribe links");

  async function frequencyCapHours(shop: string): Promise<number> {
    const fallback = deps.frequencyCapHours ?? DEFAULT_FREQUENCY_CAP_HOURS;
    try {
      const hours = await loadSettingsSection(deps.sql, shop, "campaigns", (raw) =>
        raw && typeof raw === "object" && Object.keys(raw).length ? parseCampaignSettings(raw).frequencyCapHours : null,
      );
      return hours ?? fallback;
    } catch {
      // Stored settings that no longer parse must not stop delivery; the default cap is the safe side.
      return fallback;
    }
  }

  async function decide(msg: OutboundEmail, at: Date, capHours: number): Promise<Decision> {
    return deps.sql.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`winback-mail:${msg.shop}:${msg.customerId}`]);
      const existing = (
        await tx.query<LogRow>(`SELECT id, status, reason, "updatedAt" FROM "MessageLog" WHERE shop = $1 AND "dedupeKey" = $2`, [msg.shop, msg.dedupeKey])
      )[0];
      if (existing) {
        if (existing.status === "sent") return { send: false, reason: "duplicate" as const };
        if (existing.status === "failed" && existing.reason === "interrupted") return { send: false, reason: "duplicate" as const };
        if (existing.status === "sending") {
          if (at.getTime() - new Date(existing.updatedAt).getTime() >= leaseMs) {
            await tx.query(
              `UPDATE "MessageLog" SET status = 'failed', reason = 'interrupted', "updatedAt" = $2,
                 error = 'stopped between claiming and confirming the send; not retried (at-most-once)' WHERE id = $1`,
              [existing.id, at],
            );
          }
          return { send: false, reason: "duplicate" as const };
        }
        // skipped or failed before SMTP accepted anything: decide again.
      }
      const c = (
        await tx.query<CustomerRow>(
          `SELECT c.email, c."emailConsent",
             EXISTS (SELECT 1 FROM "EmailSuppression" s WHERE s.shop = c.shop
                     AND ((s."customerId" = c.id AND s.source <> 'bounce') OR (c.email IS NOT NULL AND lower(s.email) = lower(c.email)))) AS suppressed
           FROM "Customer" c WHERE c.shop = $1 AND c.id = $2`,
          [msg.shop, msg.customerId],
        )
      )[0];
      let reason: SkipReason | null = null;
      // Suppression first: an unsubscribe also flips our copy of the consent, and the reason should say which.
      if (c?.suppressed) reason = "unsubscribed";
      // An address that is not exactly one mailbox (a list, a display name, a line break) is no usable
      // email: nodemailer would send to every address in it. Last check on the sending path.
      else if (!c || !c.email || !isSingleEmailAddress(c.email) || c.emailConsent !== "SUBSCRIBED") reason = "not_subscribed";
      else if (isCappedKind(msg.kind) && capHours > 0) {
        const recent = await tx.query(
          `SELECT 1 FROM "MessageLog" WHERE shop = $1 AND "customerId" = $2 AND kind LIKE 'winback\\_%' AND "dedupeKey" <> $3
             AND (status IN ('sent', 'sending') OR (status = 'failed' AND reason = 'interrupted'))
             AND coalesce("sentAt", "updatedAt") > $4 LIMIT 1`,
          [msg.shop, msg.customerId, msg.dedupeKey, new Date(at.getTime() - capHours * 3_600_000)],
        );
        if (recent.length) reason = "frequency_cap";
      }
      if (!reason && !deps.transport) reason = "no_smtp";
      const messageId = reason ? null : `<${randomUUID()}@${host}>`;
      const rows = await tx.query<{ id: string }>(
        `INSERT INTO "MessageLog" AS m (id, shop, "customerId", kind, "dedupeKey", "campaignId", status, reason, "messageId", "toAddress", subject, attempts, "createdAt", "updatedAt")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
         ON CONFLICT (shop, "dedupeKey") DO UPDATE SET kind = excluded.kind, "campaignId" = excluded."campaignId", status = excluded.status,
           reason = excluded.reason, "messageId" = excluded."messageId", "toAddress" = excluded."toAddress", subject = excluded.subject,
           attempts = m.attempts + excluded.attempts, "updatedAt" = excluded."updatedAt", error = NULL
         RETURNING id`,
        [
          randomUUID(), msg.shop, msg.customerId, msg.kind, msg.dedupeKey, msg.campaignId ?? null, reason ? "skipped" : "sending", reason,
          messageId, c?.email ?? null, msg.subject, reason ? 0 : 1, at,
        ],
      );
      if (reason) return { send: false, reason };
      return { send: true, logId: rows[0]!.id, messageId: messageId!, to: c!.email! };
    });
  }

  async function sendEmail(input: OutboundEmail): Promise<SendOutcome> {
    const msg = parseOrThrow(OutboundSchema, input, "outbound email") as OutboundEmail;
    const at = now();
    const capHours = isCappedKind(msg.kind) ? await frequencyCapHours(msg.shop) : 0;
    // Read before the claim: anything failing between claim and SMTP would look like an interrupted send.
    const shopName = (await shopFacts(deps.sql, msg.shop)).name;
    const d = await decide(msg, at, capHours);
    if (!d.send) return { status: "skipped", reason: d.reason };

    const token = createUnsubscribeToken(deps.secret, { shop: msg.shop, customerId: msg.customerId, messageLogId: d.logId, campaignId: msg.campaignId });
    const base = deps.appUrl.replace(/\/+$/, "");
    // The footer link opens the confirmation page; the header's target is the one-click resource route.
    const unsubscribeUrl = `${base}/unsubscribe/${token}`;
    const oneClickUrl = `${base}/unsubscribe/one-click/${token}`;
    const listUnsubscribe = [`<${oneClickUrl}>`, ...(deps.unsubscribeMailto ? [`<mailto:${deps.unsubscribeMailto}?subject=unsubscribe>`] : [])].join(", ");
    try {
      await deps.transport!.sendMail({
        from: { name: msg.fromName || fromAddress.name || shopName, address: fromAddress.address },
        to: d.to,
        replyTo: msg.replyTo,
        subject: msg.subject,
        messageId: d.messageId,
        text: withTextFooter(msg.text, shopName, unsubscribeUrl),
        html: withHtmlFooter(msg.html, shopName, unsubscribeUrl),
        headers: {
          "List-Unsubscribe": listUnsubscribe,
          // RFC 8058: mailbox providers POST `List-Unsubscribe=One-Click` to the https URI.
          "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
          "X-Winback-Message": d.logId,
        },
      });
    } catch (e) {
      const err = e as Error & { responseCode?: number; code?: string };
      await deps.sql.query(`UPDATE "MessageLog" SET status = 'failed', reason = 'smtp_error', error = $2, "updatedAt" = $3 WHERE id = $1 AND status = 'sending'`, [
        d.logId,
        String(err.message ?? err).slice(0, 1000),
        now(),
      ]);
      throw smtpError(err);
    }
    await deps.sql.query(`UPDATE "MessageLog" SET status = 'sent', reason = NULL, "sentAt" = $2, "updatedAt" = $2, error = NULL WHERE id = $1`, [d.logId, now()]);
    return { status: "sent", messageId: d.messageId, unsubscribeUrl };
  }

  return { sendEmail, frequencyCapHours };
}

/** Maps a nodemailer failure: 5xx is permanent (retrying the same message will not help), the rest is transient. */
function smtpError(err: Error & { responseCode?: number; code?: string }): AppError {
  if (err.code === "EAUTH") return new AppError("CONFIG", `SMTP authentication failed: ${err.message}`, { cause: err, retryable: false });
  if (err.responseCode && err.responseCode >= 500) {
    return new AppError("INTERNAL", `SMTP server rejected the message (${err.responseCode}): ${err.message}`, { cause: err, retryable: false });
  }
  return new AppError("NETWORK", `SMTP delivery failed: ${err.message}`, { cause: err, retryable: true });
}

export function parseAddress(from: string): { name: string; address: string } {
  const m = /^\s*(?:"?([^"<]*?)"?\s*)?<([^>]+)>\s*$/.exec(from);
  if (m) return { name: (m[1] ?? "").trim(), address: m[2]!.trim() };
  if (/^[^\s@]+@[^\s@]+$/.test(from.trim())) return { name: "", address: from.trim() };
  throw new AppError("CONFIG", `MAIL_FROM is not an address: ${from}`);
}

export function withTextFooter(text: string, shopName: string, url: string): string {
  return `${text.replace(/\s+$/, "")}\n\n--\nYou receive this email because you subscribed to news from ${shopName}.\nUnsubscribe with one click: ${url}\n`;
}

export function withHtmlFooter(html: string, shopName: string, url: string): string {
  const footer =
    `<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 12px">` +
    `<p style="font-size:12px;color:#555;line-height:1.5">You receive this email because you subscribed to news from ${escapeHtml(shopName)}. ` +
    `<a href="${escapeHtml(url)}" style="color:#555">Unsubscribe</a></p>`;
  return /<\/body>/i.test(html) ? html.replace(/<\/body>/i, `${footer}</body>`) : `${html}${footer}`;
}
