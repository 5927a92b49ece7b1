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
  subject: string;
  /** Plain-text body; the messaging layer appends the unsubscribe footer. */
  text: string;
  /** HTML body; the messaging layer appends the unsubscribe footer. */
  html: string;
  /** Concierge or shop name shown as the sender's display name (VIP notes). */
  fromName?: string;
  replyTo?: string;
}

export type SkipReason =
  | "not_subscribed" // email marketing consent is not SUBSCRIBED (or no email)
  | "unsubscribed" // unsubscribed through Winback
  | "frequency_cap" // another win-back message within the cap window
  | "duplicate" // dedupeKey already sent
  | "no_smtp"; // SMTP_URL not configured: recorded, nothing sent

export type SendOutcome =
  | { status: "sent"; messageId: string; unsubscribeUrl: string }
  | { status: "skipped"; reason: SkipReason };

export interface Messenger {
  sendEmail(msg: OutboundEmail): Promise<SendOutcome>;
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
}

/** Deliveries, unsubscribes and complaints of one campaign (the guardrails read these). */
export interface CampaignMessageCounts {
  delivered: number;
  unsubscribed: number;
  complaints: number;
}
