import type { Sql } from "../db/sql";
import type { AppContext, Feature } from "../jobs/feature";
import { saveSettingsSection } from "../shop-settings.server";
import type { AdminClient } from "../shopify/graphql-client";
import { fetchShopEmailIdentity } from "../shopify/shop";
import { campaignMessageCounts } from "./feedback";
import type { EngagementDeps } from "./engagement";
import { createFlowTriggers } from "./flow";
import { createMessenger, forgetShopMailContext, loadMessagingSettings, SHOP_CONTEXT_TTL_MS } from "./messenger";
import { formatShopAddress, MessagingSettingsSchema, type MessagingSettings } from "./settings";
import { exportCustomerData, redactCustomers, redactShop, skipCountsByReason, type SkipCountFilter } from "./store";
import type { CampaignMessageCounts, FlowTriggers, Messenger } from "./types";
import { messagingJobDefinitions } from "./jobs";
import { requeueConsentUpdates, type SuppressDeps } from "./unsubscribe";

/** A rejected consent update is sent again at most once a day by the sync hook (ADR 074). */
const DAILY_MS = 20 * 3600_000;

/** The messaging layer other features use (campaign touches, points nudges), built from the app's context. */
export interface MessagingServices {
  messenger(): Messenger;
  flowTriggers(): FlowTriggers;
  messageCounts(campaignId: string): Promise<CampaignMessageCounts>;
  /** Skipped messages per reason (no_mail_server, not_subscribed, contact_cap, ...) for pages showing email counts. */
  skipCounts(shop: string, filter?: SkipCountFilter): Promise<Record<string, number>>;
  /** Whether a mail server is configured (SMTP_URL); pages show a banner when it is not. */
  mailServerConfigured(): boolean;
  /** Unsubscribe and feedback routes: the database, the queue (consent jobs) and the token secret. */
  suppressDeps(): SuppressDeps & { secret: string };
  /** Click redirect and open pixel routes (`/t/:token`, `/o/:token`): the database, the token secret, the clock. */
  engagementDeps(): EngagementDeps;
}

/**
 * Production wiring of the messaging layer: the app database, SMTP from SMTP_URL, the app secret
 * for unsubscribe tokens, the shop's offline Admin client for Flow. The environment is read at
 * each call (SMTP_URL is validated when mail is first sent).
 */
export function createMessaging(ctx: AppContext): MessagingServices {
  return {
    messenger() {
      const e = ctx.env();
      return createMessenger({
        sql: ctx.db.sql,
        transport: ctx.mailer(),
        appUrl: e.SHOPIFY_APP_URL,
        secret: e.SHOPIFY_API_SECRET,
        from: e.MAIL_FROM,
        now: ctx.now,
        shopContextTtlMs: SHOP_CONTEXT_TTL_MS,
        trackEngagement: true,
      });
    },
    flowTriggers: () => createFlowTriggers({ sql: ctx.db.sql, client: ctx.adminClient, now: ctx.now }),
    messageCounts: (campaignId) => campaignMessageCounts(ctx.db.sql, campaignId),
    skipCounts: (shop, filter) => skipCountsByReason(ctx.db.sql, shop, filter),
    mailServerConfigured: () => !!ctx.env().SMTP_URL,
    suppressDeps: () => ({ sql: ctx.db.sql, queue: ctx.queue, secret: ctx.env().SHOPIFY_API_SECRET }),
    engagementDeps: () => ({ sql: ctx.db.sql, secret: ctx.env().SHOPIFY_API_SECRET, now: ctx.now }),
  };
}

/**
 * Fills the shop's email identity from Shopify once (sender name, reply-to, postal address from
 * `shop { name contactEmail shopAddress }`), leaving every field the merchant already set. A
 * failure is stored on the settings (`defaultsError`) and shown on the email settings page; the
 * merchant can type the address, and marketing email stays refused until there is one.
 */
export async function fillEmailDefaultsFromShopify(
  sql: Sql,
  client: AdminClient | (() => Promise<AdminClient>),
  shop: string,
  at: Date,
): Promise<MessagingSettings> {
  const current = await loadMessagingSettings(sql, shop);
  if (current.defaultsFromShopifyAt) return current;
  let next: MessagingSettings;
  try {
    const s = await fetchShopEmailIdentity(typeof client === "function" ? await client() : client);
    const address = formatShopAddress(s.shopAddress);
    next = {
      ...current,
      senderName: current.senderName || s.name,
      replyTo: current.replyTo || (s.contactEmail?.trim() ?? ""),
      postalAddress: current.postalAddress || address,
      postalAddressSource: current.postalAddress ? current.postalAddressSource : address ? "shopify" : "none",
      defaultsFromShopifyAt: at.toISOString(),
      defaultsError: null,
    };
  } catch (e) {
    next = { ...current, defaultsError: `Could not read the shop's address from Shopify: ${(e as Error).message}`.slice(0, 500) };
  }
  // The reply-to from Shopify is kept only when it is one plain address (lib/email-address rules).
  const parsed = MessagingSettingsSchema.safeParse(next);
  const value = parsed.success ? parsed.data : { ...next, replyTo: current.replyTo };
  await saveSettingsSection(sql, shop, "messaging", value);
  forgetShopMailContext(sql, shop);
  return value;
}

/**
 * The messaging feature's jobs: `messaging.consent {shop, customerId}` tells Shopify a customer
 * unsubscribed (or complained). Consent updates Shopify has not confirmed (rejected, or whose job
 * was lost) are sent again after each authorization of the app (an update of the app or its scopes
 * may have fixed the cause) and after a sync, at most daily per row. After install, the shop's
 * email identity is defaulted from Shopify. Compliance hooks delete or export messaging's rows.
 */
export function createMessagingFeature(ctx: AppContext): Feature {
  async function requeue(shop: string, minAgeMs: number) {
    const n = await requeueConsentUpdates({ sql: ctx.db.sql, queue: ctx.queue }, shop, { minAgeMs });
    if (n) console.info(`[messaging] ${shop}: ${n} consent update(s) sent to Shopify again`);
  }
  return {
    name: "messaging",
    jobs: messagingJobDefinitions(ctx),
    afterInstall: async (shop) => {
      await requeue(shop, 0);
      await fillEmailDefaultsFromShopify(ctx.db.sql, () => ctx.adminClient(shop), shop, ctx.now());
    },
    onSyncCompleted: async (shop) => requeue(shop, DAILY_MS),
    // GDPR (ADR 076): messaging's five tables (EmailEngagement since ADR 093), inside the transaction app/compliance.server.ts opens.
    redactCustomers: (tx, shop, input) => redactCustomers(tx, shop, input.customerIds),
    redactShop: (tx, shop) => redactShop(tx, shop),
    exportCustomerData: (sql, shop, customerIds) => exportCustomerData(sql, shop, customerIds),
  };
}
