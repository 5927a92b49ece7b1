import { z } from "zod";
import type { Sql } from "../db/sql";
import { AppError } from "../lib/errors";
import { parseOrThrow } from "../lib/parse";
import { parseJsonClean } from "../lib/text";
import { suppressCustomer, type SuppressDeps } from "./unsubscribe";
import { verifyBodySignature } from "./token";
import type { CampaignMessageCounts } from "./types";
import { campaignMessageCounts as countCampaignMessages, insertFeedback, messageByMessageId } from "./store";

/**
 * Complaints and bounces reported by the mail relay / ESP for a message we sent, identified by the
 * Message-ID we set. The relay signs the raw JSON body with its own secret, MAIL_RELAY_SECRET, never the
 * Shopify app secret: `X-Winback-Signature: hex(HMAC-SHA256(secret, "winback-mail-feedback:" + body))`
 * (token.ts signBody).
 * A complaint suppresses the customer like an unsubscribe (and updates Shopify's consent); a bounce
 * is recorded and stops counting as a delivery; a permanent bounce also stops sending to that
 * address (not a consent change: Shopify is not told).
 */
export const FEEDBACK_SIGNATURE_HEADER = "X-Winback-Signature";

const FeedbackSchema = z.object({
  type: z.enum(["complaint", "bounce"]),
  messageId: z.string().trim().min(3).max(300),
  detail: z.string().max(1000).optional(),
  /** A hard bounce (5xx: mailbox does not exist): stop sending to that address. */
  permanent: z.boolean().optional(),
});

export type FeedbackInput = z.infer<typeof FeedbackSchema>;

/** `<id@host>` and `id@host` name the same message. */
export function normalizeMessageId(id: string): string {
  const t = id.trim();
  return t.startsWith("<") ? t : `<${t}>`;
}

export async function receiveFeedback(
  deps: SuppressDeps & { /** MAIL_RELAY_SECRET; unset refuses every report. */ secret: string | undefined },
  rawBody: string,
  signature: string | null,
): Promise<{ recorded: boolean; type: FeedbackInput["type"] }> {
  if (!deps.secret) throw new AppError("CONFIG", "Mail feedback is not configured: set MAIL_RELAY_SECRET (the relay's own signing secret)");
  if (!verifyBodySignature(deps.secret, rawBody, signature))
    throw new AppError("UNAUTHENTICATED", `Missing or wrong ${FEEDBACK_SIGNATURE_HEADER}`);
  let json: unknown;
  try {
    json = parseJsonClean(rawBody);
  } catch {
    throw new AppError("INVALID_INPUT", "email feedback: body is not JSON");
  }
  const fb = parseOrThrow(FeedbackSchema, json, "email feedback");
  const messageId = normalizeMessageId(fb.messageId);
  const log = await messageByMessageId(deps.sql, messageId);
  if (!log) throw new AppError("NOT_FOUND", `No message with Message-ID ${messageId}`);
  const at = (deps.now ?? (() => new Date()))();
  const recorded = await insertFeedback(deps.sql, {
    shop: log.shop,
    customerId: log.customerId,
    messageLogId: log.id,
    messageId,
    campaignId: log.campaignId,
    type: fb.type,
    detail: fb.detail ?? null,
    at,
  });
  if (fb.type === "complaint") {
    // Also on a redelivery: suppressCustomer is idempotent and re-queues the Shopify update until it is confirmed.
    await suppressCustomer(deps, {
      shop: log.shop,
      customerId: log.customerId,
      source: "complaint",
      campaignId: log.campaignId,
      messageLogId: log.id,
    });
  }
  if (fb.type === "bounce" && fb.permanent) {
    // Only the address is dead: the suppression matches it by address, so a corrected email in Shopify can be mailed again.
    await suppressCustomer(deps, {
      shop: log.shop,
      customerId: log.customerId,
      source: "bounce",
      campaignId: log.campaignId,
      messageLogId: log.id,
    });
  }
  return { recorded, type: fb.type };
}

/** A campaign's deliveries (sent minus bounced), unsubscribes and complaints, for the guardrails. */
export async function campaignMessageCounts(sql: Sql, campaignId: string): Promise<CampaignMessageCounts> {
  return countCampaignMessages(sql, campaignId);
}
