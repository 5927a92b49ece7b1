import { describeDiscount, type CampaignSettings } from "../domain/campaigns";
import { escapeHtml as esc } from "../lib/html";
import { createFormatter, DEFAULT_LOCALE } from "../lib/format";
import { isSingleEmailAddress } from "../lib/email-address";

/** The shop's contact email as Reply-To, only when it is exactly one address (a list would fan out every reply). */
function replyToOf(email: string | null | undefined): string | undefined {
  return isSingleEmailAddress(email) ? email.trim() : undefined;
}

/**
 * The two messages of a campaign. Standard: one time-bound offer, its terms in words, one call to
 * action. VIP: a personal note from the concierge with the perk and no discount, because
 * discounting the best customers teaches them to wait for codes.
 */
export interface ShopInfo {
  name: string;
  domain: string;
  currencyCode: string;
  ianaTimezone: string;
  email: string | null;
}

export interface Composed {
  subject: string;
  text: string;
  html: string;
  fromName?: string;
  replyTo?: string;
}


/** "Sunday, December 7, 2026 at 11:59 PM CET" in the shop's zone, through the one formatting module (app/lib/format.ts). */
export function formatEndsAt(endsAt: Date, timeZone: string, locale: string = DEFAULT_LOCALE): string {
  try {
    return createFormatter({ locale, currencyCode: "USD", timeZone }).zonedDateTime(endsAt);
  } catch {
    // A zone Intl does not know: the instant in UTC still says when the offer ends.
    return createFormatter({ locale, currencyCode: "USD", timeZone: "UTC" }).zonedDateTime(endsAt);
  }
}

export function stackingInWords(s: CampaignSettings["discount"]["combinesWith"]): string {
  const yes: string[] = [];
  if (s.productDiscounts) yes.push("product discounts");
  if (s.orderDiscounts) yes.push("other order discounts");
  if (s.shippingDiscounts) yes.push("shipping discounts");
  if (!yes.length) return "It cannot be combined with other discounts.";
  return `It can be combined with ${yes.join(" and ")}, but not with other discount types.`;
}

/** The products the code is limited to, in the words of the email (nothing when it covers every item). */
export function appliesToInWords(a: CampaignSettings["discount"]["appliesTo"]): string {
  if (a.kind === "all" || !a.products.length) return "";
  const names = a.products.map((p) => p.title);
  const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
  return `Valid on ${list} only.`;
}

export function discountLink(shop: ShopInfo, code: string): string {
  return `https://${shop.domain}/discount/${encodeURIComponent(code)}`;
}

export function standardEmail(input: {
  shop: ShopInfo;
  firstName: string | null;
  settings: CampaignSettings;
  code: string;
  endsAt: Date;
  day: number;
}): Composed {
  const { shop, settings, code } = input;
  const offer = describeDiscount(settings.discount, shop.currencyCode);
  const ends = formatEndsAt(input.endsAt, shop.ianaTimezone);
  const hi = input.firstName?.trim() ? `Hi ${input.firstName.trim()},` : "Hi,";
  const min = settings.discount.minimumSubtotal ? `Valid on orders of ${settings.discount.minimumSubtotal.toFixed(2)} ${shop.currencyCode} or more.` : "";
  const once = settings.discount.appliesOncePerCustomer ? "One use per customer." : "";
  // Only terms the code itself enforces in Shopify (ADR 077): no free-text exclusions.
  const terms = [min, once, appliesToInWords(settings.discount.appliesTo), stackingInWords(settings.discount.combinesWith)].filter(Boolean).join(" ");
  const link = discountLink(shop, code);
  const subject = input.day === 0 ? `We miss you: ${offer} until ${ends.split(" at ")[0]}` : `Reminder: your ${offer} ends ${ends.split(" at ")[0]}`;
  const lead = input.day === 0 ? `It has been a while since your last visit to ${shop.name}. Here is ${offer} your next order.` : `Your ${offer} at ${shop.name} is still waiting for you.`;
  const text = [hi, "", lead, "", `Code: ${code}`, `Ends: ${ends}`, terms, "", `Shop now: ${link}`, "", shop.name].join("\n");
  const html = [
    `<p>${esc(hi)}</p>`,
    `<p>${esc(lead)}</p>`,
    `<p style="font-size:20px"><strong>${esc(code)}</strong></p>`,
    `<p>Ends ${esc(ends)}.</p>`,
    terms ? `<p style="color:#555;font-size:13px">${esc(terms)}</p>` : "",
    `<p><a href="${esc(link)}" style="background:#111;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">Shop now with ${esc(offer)}</a></p>`,
    `<p>${esc(shop.name)}</p>`,
  ].join("\n");
  return { subject, text, html, replyTo: replyToOf(shop.email) };
}

export function vipEmail(input: { shop: ShopInfo; firstName: string | null; conciergeName: string; conciergeRole?: string | null; perk: string; day: number }): Composed {
  const { shop } = input;
  const who = input.conciergeName.trim() || `${shop.name} customer care`;
  const role = input.conciergeRole?.trim();
  const first = input.firstName?.trim();
  const perk = input.perk.charAt(0).toLowerCase() + input.perk.slice(1);
  const lines =
    input.day === 0
      ? [
          `Hi ${first || "there"},`,
          "",
          `This is ${who}${role ? `, ${role}` : ""} at ${shop.name}. It has been a while, and I wanted to check in personally.`,
          `As one of our most valued customers, I have set aside something just for you: ${perk}.`,
          "Is there anything we could have done better, or anything you are looking for right now? Just reply to this email and it comes straight to me.",
        ]
      : [
          `Hi ${first || "there"},`,
          "",
          `Just following up on my note last week: ${perk} is still reserved for you.`,
          "If there is anything I can help with, simply reply. I read every message myself.",
        ];
  const sign = ["", "Warmly,", who, shop.name];
  const text = [...lines, ...sign].join("\n");
  const html = [...lines, ...sign].map((l) => (l ? `<p>${esc(l)}</p>` : "")).join("\n");
  const subject = input.day === 0 ? `${first ? `${first}, a` : "A"} personal note from ${who}` : `Following up, from ${who}`;
  return { subject, text, html, fromName: who, replyTo: replyToOf(shop.email) };
}
