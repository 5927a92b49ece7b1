import { z } from "zod";
import type { AppContext } from "../jobs/feature";
import { parseEmailAddress } from "../lib/email-address";
import { isHandled, statusOf } from "../lib/http";
import { LOCALES, resolveLocale, type Locale } from "../lib/i18n";
import type { Sql } from "../db/sql";
import { saveSettingsSection, shopFacts } from "../shop-settings.server";
import { fillEmailDefaultsFromShopify } from "./feature";
import { forgetShopMailContext, loadMessagingSettings } from "./messenger";
import { MessagingSettingsSchema, TEMPLATE_IDS, type MessagingSettings, type TemplateBlocks, type TemplateId } from "./settings";
import { hasSuppression, skipCountsByReason } from "./store";
import { verifyUnsubscribeToken } from "./token";
import { themeEmbedUrl } from "../lib/theme-editor";
import { unsubscribeWithToken, type SuppressDeps } from "./unsubscribe";

/** The visits embed block's handle: its file name in extensions/points-expiry-banner/blocks/. */
const VISITS_EMBED_HANDLE = "storefront-visits";

/**
 * Loaders and actions of the pages that show email: the dashboard's and the campaign pages' email
 * status banner, and the email settings page (app/routes/app.settings.email.tsx).
 */

const DAY_MS = 86_400_000;

export interface EmailStatus {
  /** SMTP_URL is set: without it nothing is emailed and every email is recorded as skipped (no_mail_server). */
  mailServer: boolean;
  /** The shop has a postal address: without it marketing email is refused (no_postal_address). */
  postalAddress: boolean;
  /** Skipped emails of the last 30 days, per reason. */
  skipped: Record<string, number>;
}

export async function loadEmailStatus(ctx: Pick<AppContext, "db" | "env" | "now">, shop: string): Promise<EmailStatus> {
  const settings = await loadMessagingSettings(ctx.db.sql, shop);
  return {
    mailServer: !!ctx.env().SMTP_URL,
    postalAddress: !!settings.postalAddress.trim(),
    skipped: await skipCountsByReason(ctx.db.sql, shop, { since: new Date(ctx.now().getTime() - 30 * DAY_MS) }),
  };
}

export interface EmailSettingsPage {
  settings: MessagingSettings;
  shop: { name: string; domain: string; currencyCode: string; ianaTimezone: string; email: string | null };
  status: EmailStatus;
  now: string;
  /** Theme editor deep link with the storefront visits embed ticked (ADR 102): off until the merchant saves it. */
  visitsEmbedUrl: string;
}

/** The settings page: the stored settings (defaulted once from Shopify), the shop's facts for the preview, the status. */
export async function loadEmailSettingsPage(
  ctx: Pick<AppContext, "db" | "env" | "now" | "adminClient">,
  shop: string,
): Promise<EmailSettingsPage> {
  // Shopify is asked only until the defaults were read once.
  const settings = await fillEmailDefaultsFromShopify(ctx.db.sql, () => ctx.adminClient(shop), shop, ctx.now());
  const facts = await shopFacts(ctx.db.sql, shop);
  return {
    settings,
    shop: { ...facts, domain: shop },
    status: await loadEmailStatus(ctx, shop),
    now: ctx.now().toISOString(),
    visitsEmbedUrl: themeEmbedUrl(shop, ctx.env().SHOPIFY_API_KEY, VISITS_EMBED_HANDLE),
  };
}

const text = (max: number) => z.string().max(max, `At most ${max} characters`);

const FormSchema = z.object({
  senderName: text(120),
  // Empty: replies go to the shop's contact email; otherwise exactly one plain address (lib/email-address).
  replyTo: z.string().transform((v, ctx) => {
    if (!v.trim()) return "";
    const r = parseEmailAddress(v);
    if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
    return r.ok ? r.address : "";
  }),
  postalAddress: text(500),
  locale: z.enum(LOCALES, { message: "Choose a language" }),
  contactCapPer30Days: z.coerce
    .number({ message: "Enter a whole number" })
    .int("Enter a whole number")
    .min(1, "At least 1")
    .max(30, "At most 30"),
});

export type SaveResult = { ok: true; settings: MessagingSettings } | { ok: false; error: string; fieldErrors: Record<string, string> };

/**
 * Saves the form: identity, language, contact cap and every template's blocks (`<id>.subject`,
 * `<id>.intro`, `<id>.closing`). A marketing email needs a postal address, so an empty one is
 * refused here with the reason, not discovered later as skipped emails.
 */
export async function saveEmailSettings(ctx: Pick<AppContext, "db">, shop: string, form: Record<string, string>): Promise<SaveResult> {
  const fieldErrors: Record<string, string> = {};
  const parsed = FormSchema.safeParse({
    senderName: form.senderName ?? "",
    replyTo: (form.replyTo ?? "").trim(),
    postalAddress: form.postalAddress ?? "",
    locale: form.locale,
    contactCapPer30Days: form.contactCapPer30Days,
  });
  if (!parsed.success) for (const i of parsed.error.issues) fieldErrors[String(i.path[0])] ??= i.message;
  if (!(form.postalAddress ?? "").trim())
    fieldErrors.postalAddress ??= "Marketing emails must show the shop's postal address; without one, Winback sends none.";
  const templates: Partial<Record<TemplateId, TemplateBlocks>> = {};
  for (const id of TEMPLATE_IDS) {
    const blocks = { subject: form[`${id}.subject`] ?? "", intro: form[`${id}.intro`] ?? "", closing: form[`${id}.closing`] ?? "" };
    if (blocks.subject.length > 300) fieldErrors[`${id}.subject`] = "At most 300 characters";
    if (blocks.intro.length > 2000) fieldErrors[`${id}.intro`] = "At most 2,000 characters";
    if (blocks.closing.length > 2000) fieldErrors[`${id}.closing`] = "At most 2,000 characters";
    if (blocks.subject.trim() || blocks.intro.trim() || blocks.closing.trim())
      templates[id] = { subject: blocks.subject, intro: blocks.intro, closing: blocks.closing };
  }
  if (Object.keys(fieldErrors).length || !parsed.success) return { ok: false, error: "Check the highlighted fields.", fieldErrors };
  const current = await loadMessagingSettings(ctx.db.sql, shop);
  const next = MessagingSettingsSchema.parse({
    ...current,
    ...parsed.data,
    postalAddressSource: parsed.data.postalAddress.trim() === current.postalAddress.trim() ? current.postalAddressSource : "merchant",
    templates,
  });
  await saveSettingsSection(ctx.db.sql, shop, "messaging", next);
  // The next email uses the new identity at once, not after the messenger's cache expires.
  forgetShopMailContext(ctx.db.sql, shop);
  return { ok: true, settings: next };
}

// ─── Unsubscribe pages (public; the signed token is the only credential) ────

export type UnsubscribePageData =
  { ok: true; shopName: string; done: boolean; locale: Locale } | { ok: false; error: string; locale: Locale };

/** A forged link is 403 (there is no login to offer), a malformed one 400 (ADR 072). */
const TOKEN_ERRORS = {
  codes: ["INVALID_INPUT", "UNAUTHENTICATED"] as Array<"INVALID_INPUT" | "UNAUTHENTICATED">,
  status: { UNAUTHENTICATED: 403 },
};

/** The first language of an Accept-Language header (a link whose shop is unknown still answers in the reader's language). */
export function localeFromAcceptLanguage(header: string | null): Locale {
  return resolveLocale((header ?? "").split(",")[0]?.split(";")[0]);
}

async function pageFor(sql: Sql, shop: string, done: boolean): Promise<UnsubscribePageData> {
  const [facts, settings] = await Promise.all([shopFacts(sql, shop), loadMessagingSettings(sql, shop)]);
  return { ok: true, shopName: settings.senderName || facts.name, done, locale: settings.locale };
}

function tokenFailure(e: unknown, acceptLanguage: string | null): { status: number; data: UnsubscribePageData } {
  if (!isHandled(e, TOKEN_ERRORS.codes)) throw e;
  return {
    status: statusOf(e, TOKEN_ERRORS.status),
    data: { ok: false, error: e.message, locale: localeFromAcceptLanguage(acceptLanguage) },
  };
}

/** GET: what the confirmation page shows, in the shop's customer language; never unsubscribes (scanners prefetch links). */
export async function loadUnsubscribePage(
  deps: { sql: Sql; secret: string },
  token: string,
  acceptLanguage: string | null,
): Promise<{ status: number; data: UnsubscribePageData }> {
  try {
    const claims = verifyUnsubscribeToken(deps.secret, token);
    return { status: 200, data: await pageFor(deps.sql, claims.shop, await hasSuppression(deps.sql, claims.shop, claims.customerId)) };
  } catch (e) {
    return tokenFailure(e, acceptLanguage);
  }
}

/** POST: the button or an RFC 8058 one-click request; idempotent. */
export async function unsubscribeFromPage(
  deps: SuppressDeps & { secret: string },
  token: string,
  source: "one_click" | "link",
  acceptLanguage: string | null,
): Promise<{ status: number; data: UnsubscribePageData }> {
  try {
    const r = await unsubscribeWithToken(deps, token, source);
    return { status: 200, data: await pageFor(deps.sql, r.shop, true) };
  } catch (e) {
    return tokenFailure(e, acceptLanguage);
  }
}
