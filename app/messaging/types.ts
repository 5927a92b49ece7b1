import type { EmailContent } from "./compose";

export type { EmailContent } from "./compose";

/**
 * The contract between the features that message customers (campaign touches, points nudges) and
 * the messaging layer (app/messaging/): consent gate, frequency cap, one-click unsubscribe, SMTP
 * delivery, Flow triggers, and the counts behind the guardrails. Features never talk to SMTP or
 * decide consent themselves.
 */

/** Why a message is sent; the frequency cap applies across every `winback` message of a customer. */
export type MessageKind = "winback_standard" | "winback_vip" | "points_nudge";

export interface OutboundEmail {
  shop: string;
  /** Shopify legacy customer id (exact decimal string). */
  customerId: string;
  kind: MessageKind;
  /** Idempotency key: the same key is never sent twice (e.g. `campaign:<id>:<customer>:day3`). */
  dedupeKey: string;
  /** Campaign the message belongs to (guardrail counts), if any. */
  campaignId?: string;
  /**
   * What to say: the messenger composes it in the shop's customer locale with the merchant's
   * rewritten blocks (app/messaging/compose.ts). Preferred over subject/text/html.
   */
  content?: EmailContent;
  /** Ready-made words (not localised, no merchant blocks); used only when `content` is absent. */
  subject?: string;
  /** Plain-text body; the messaging layer appends the footer (postal address, unsubscribe). */
  text?: string;
  /** HTML body; the messaging layer appends the footer (postal address, unsubscribe). */
  html?: string;
  /** The concierge's name for VIP notes, shown before the shop's sender name. */
  fromName?: string;
  /** Where replies go instead of the shop's reply-to (VIP notes: the named concierge's address). */
  replyTo?: string;
}

export type SkipReason =
  | "not_subscribed" // email marketing consent is not SUBSCRIBED (or no email)
  | "unsubscribed" // unsubscribed through Winback
  | "frequency_cap" // another win-back message within the cap window
  | "contact_cap" // the shop's cap of marketing emails per customer per 30 days is reached
  | "duplicate" // dedupeKey already sent
  | "no_postal_address" // the shop has no postal address in its email settings: marketing email is refused
  | "no_mail_server"; // SMTP_URL not configured: recorded, nothing sent

/** Merchant-readable words for each skip reason (pages showing email counts). */
export const SKIP_REASON_LABELS: Record<SkipReason | "unknown", string> = {
  not_subscribed: "without email marketing consent",
  unsubscribed: "unsubscribed through Winback",
  frequency_cap: "held by the win-back frequency cap",
  contact_cap: "held by the contact cap (emails per customer per 30 days)",
  duplicate: "already sent",
  no_postal_address: "not sent: no postal address in the email settings",
  no_mail_server: "not sent: no mail server configured (SMTP_URL)",
  unknown: "skipped",
};

export type SendOutcome = { status: "sent"; messageId: string; unsubscribeUrl: string } | { status: "skipped"; reason: SkipReason };

/** One email of a batch: as sendEmail's outcome, or the SMTP error sendEmail would have thrown (the others of the batch still went). */
export type BatchSendOutcome = SendOutcome | { status: "failed"; error: Error };

export interface Messenger {
  sendEmail(msg: OutboundEmail): Promise<SendOutcome>;
  /**
   * Many emails of one shop decided and claimed together, same gates and at-most-once rule as
   * sendEmail, outcomes in the order given (docs/decisions/095-batched-sends.md). Optional: a
   * messenger without it is called once per email.
   */
  sendEmails?(msgs: OutboundEmail[]): Promise<BatchSendOutcome[]>;
}

/** A Shopify Flow trigger fired with flowTriggerReceive (the merchant can send SMS, Shopify Email, Klaviyo). */
export interface FlowTriggerEvent {
  shop: string;
  /** The trigger extension's handle, e.g. `winback-touch` or `points-expiring`. */
  handle: string;
  /** Fields declared in the extension's toml; customer reference as `customer_id` (legacy id). */
  payload: Record<string, unknown>;
  /** Idempotency key: never fired twice. */
  dedupeKey: string;
}

export interface FlowTriggers {
  fire(event: FlowTriggerEvent): Promise<"fired" | "duplicate">;
  /**
   * Many events of one shop, claimed and marked together, outcomes in the order given (an Error
   * where Shopify refused; docs/decisions/095-batched-sends.md). Optional: without it, fire per event.
   */
  fireMany?(events: FlowTriggerEvent[]): Promise<Array<"fired" | "duplicate" | Error>>;
}

/** Deliveries, unsubscribes and complaints of one campaign (the guardrails read these). */
export interface CampaignMessageCounts {
  delivered: number;
  unsubscribed: number;
  complaints: number;
  /**
   * Engagement (docs/decisions/093-engagement-tracking.md), people only: every click, messages
   * clicked at least once, messages opened by a person (machine opens such as Apple Mail Privacy
   * Protection excluded). Always filled by messaging; optional so guardrail fakes that set only the
   * delivery counts stay valid.
   */
  clicks?: number;
  uniqueClicks?: number;
  humanOpens?: number;
}
