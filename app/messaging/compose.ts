import { z } from "zod";
import { createFormatter } from "../lib/format";
import { escapeHtml as esc } from "../lib/html";
import { AppError } from "../lib/errors";
import { formatLocaleOf, translator, type Locale, type MessageKey } from "../lib/i18n";
import type { TemplateBlocks, TemplateId } from "./settings";

/**
 * The marketing emails' words, in the shop's customer locale, with the blocks the merchant
 * rewrote (subject, intro, closing) in place of the catalogue's. Features pass *what* to say
 * (`EmailContent`: the discount, the code, the perk, the points); the messenger composes it with
 * the shop's settings, and the settings page previews it with the same function. Pure: no I/O,
 * usable in the browser.
 *
 * Merchant blocks may use placeholders: {first_name} {shop} {offer} {code} {ends} {concierge}
 * {perk} {points} {value} {date}. Unknown placeholders stay as typed.
 */

const DateLike = z.union([z.date(), z.string().datetime({ offset: true })]);
const FirstName = z.string().max(200).nullish();

const DiscountTermsSchema = z.object({
  minimumSubtotal: z.number().positive().nullish(),
  oncePerCustomer: z.boolean().optional(),
  /** Titles of the products the code is limited to (empty: every item). */
  products: z.array(z.string().max(255)).max(50).optional(),
  combinesWith: z.object({ productDiscounts: z.boolean(), orderDiscounts: z.boolean(), shippingDiscounts: z.boolean() }).optional(),
});
export type DiscountTerms = z.infer<typeof DiscountTermsSchema>;

export const EmailContentSchema = z.discriminatedUnion("template", [
  z.object({
    template: z.literal("winback_standard"),
    stage: z.enum(["first", "reminder"]),
    firstName: FirstName,
    /**
     * The offer: a percentage (15 = 15 %), a fixed amount in the shop's currency, free shipping, or
     * (an offer experiment's perk arm, ADR 099) a perk in the merchant's words and no code.
     */
    discount: z.object({
      percent: z.number().positive().max(100).optional(),
      amount: z.number().positive().optional(),
      freeShipping: z.literal(true).optional(),
      perk: z.string().trim().min(1).max(500).optional(),
    }),
    /** null only with a perk: there is nothing to enter at checkout. */
    code: z.string().min(1).max(255).nullable(),
    endsAt: DateLike,
    link: z.string().url(),
    /** Terms the discount itself enforces in Shopify (ADR 077), worded here in the customer's language. */
    terms: DiscountTermsSchema.optional(),
    /** An offer experiment arm's own subject (ADR 099); its placeholders are filled like the merchant's. */
    subject: z.string().trim().min(1).max(150).nullish(),
    /** A sequence step's no-click branch intro (ADR 101); its placeholders are filled like the merchant's. */
    intro: z.string().trim().min(1).max(2000).nullish(),
  }),
  z.object({
    template: z.literal("winback_vip"),
    stage: z.enum(["first", "followup"]),
    firstName: FirstName,
    concierge: z.string().trim().min(1).max(120),
    perk: z.string().trim().min(1).max(500),
  }),
  z.object({
    template: z.literal("points_nudge"),
    firstName: FirstName,
    points: z.number().int().nonnegative(),
    value: z.number().nonnegative().nullish(),
    expiresAt: DateLike,
    link: z.string().url().nullish(),
  }),
]);

export type EmailContent = z.input<typeof EmailContentSchema>;

export interface ComposeContext {
  locale: Locale;
  shopName: string;
  currencyCode: string;
  timeZone: string;
  /** The merchant's rewritten blocks per template (empty fields: the catalogue's text). */
  templates?: Partial<Record<TemplateId, TemplateBlocks>>;
}

export interface ComposedEmail {
  subject: string;
  text: string;
  html: string;
}

export function templateIdOf(c: EmailContent): TemplateId {
  if (c.template === "points_nudge") return "points_nudge";
  return `${c.template}.${c.stage}` as TemplateId;
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}

/** Default blocks of a template in a locale (the settings page shows them as placeholders). */
export function defaultBlocks(id: TemplateId, locale: Locale): { subject: string; intro: string; closing: string } {
  const t = translator(locale);
  const raw = (k: MessageKey) => t(k, {});
  switch (id) {
    case "winback_standard.first":
      return { subject: raw("winback.standard.subject.first"), intro: raw("winback.standard.intro.first"), closing: "{shop}" };
    case "winback_standard.reminder":
      return { subject: raw("winback.standard.subject.reminder"), intro: raw("winback.standard.intro.reminder"), closing: "{shop}" };
    case "winback_vip.first":
      return {
        subject: raw("winback.vip.subject.first"),
        intro: `${raw("winback.vip.intro.first")}\n${raw("winback.vip.ask.first")}`,
        closing: `${raw("winback.vip.signoff")}\n{concierge}\n{shop}`,
      };
    case "winback_vip.followup":
      return {
        subject: raw("winback.vip.subject.followup"),
        intro: `${raw("winback.vip.intro.followup")}\n${raw("winback.vip.ask.followup")}`,
        closing: `${raw("winback.vip.signoff")}\n{concierge}\n{shop}`,
      };
    case "points_nudge":
      return { subject: raw("points.subject"), intro: raw("points.intro"), closing: "{shop}" };
  }
}

/** Composes one email. Throws a zod error on content that does not parse (a programming error upstream). */
export function composeEmail(input: EmailContent, ctx: ComposeContext): ComposedEmail {
  const c = EmailContentSchema.parse(input);
  const t = translator(ctx.locale);
  const f = createFormatter({ locale: formatLocaleOf(ctx.locale), currencyCode: ctx.currencyCode, timeZone: ctx.timeZone });
  const id = templateIdOf(c);
  const defaults = defaultBlocks(id, ctx.locale);
  const own = ctx.templates?.[id];
  const first = c.firstName?.trim() || "";
  const vars: Record<string, string> = { shop: ctx.shopName, first_name: first, name: first };
  // camelCase placeholders of the catalogue and snake_case ones the merchant types both work.
  const lines: string[] = [];
  const htmlParts: string[] = [];
  let subjectDefault = defaults.subject;

  if (c.template === "winback_standard") {
    const { perk, freeShipping } = c.discount;
    if (!perk && !c.code) throw new AppError("INVALID_INPUT", "a winback_standard email needs a code unless its offer is a perk");
    const offerValue = c.discount.percent
      ? f.percent(c.discount.percent / 100, Number.isInteger(c.discount.percent) ? 0 : 1)
      : f.money(c.discount.amount ?? 0);
    // A perk is typed by the merchant as a phrase (like the VIP perk); inside a sentence it starts lower case.
    vars.offer = perk
      ? perk.charAt(0).toLowerCase() + perk.slice(1)
      : freeShipping
        ? t("offer.freeShipping", {})
        : t(c.discount.percent ? "offer.percent" : "offer.amount", { value: offerValue });
    vars.code = c.code ?? "";
    vars.ends = f.longDate(c.endsAt);
    vars.value = perk || freeShipping ? vars.offer : offerValue;
    const endsFull = f.zonedDateTime(c.endsAt);
    // What a code without a value gives, stated on its own line (the perk as the merchant typed it).
    const headline = perk ? perk : freeShipping ? t("offer.freeShipping.line", { date: vars.ends }) : "";
    // A free-shipping code reduces no item, so only its minimum, once-per-customer and combinations are terms.
    const terms = termsInWords(perk ? undefined : freeShipping ? { ...c.terms, products: [] } : c.terms, t, (n) => f.money(n));
    const details = [
      headline,
      c.code ? t("winback.standard.code", { code: c.code }) : "",
      t("winback.standard.ends", { ends: endsFull }),
      terms,
    ].filter(Boolean);
    lines.push(...details, "", `${t("winback.standard.cta")}: ${c.link}`);
    htmlParts.push(
      headline ? `<p style="font-size:18px">${esc(headline)}</p>` : "",
      c.code ? `<p style="font-size:20px"><strong>${esc(c.code)}</strong></p>` : "",
      `<p>${esc(t("winback.standard.ends", { ends: endsFull }))}</p>`,
      terms ? `<p style="color:#555;font-size:13px">${esc(terms)}</p>` : "",
      `<p><a href="${esc(c.link)}" style="background:#111;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none">${esc(t("winback.standard.cta"))}</a></p>`,
    );
  } else if (c.template === "winback_vip") {
    vars.concierge = c.concierge;
    // The perk is typed by the merchant as a phrase; inside a sentence it starts lower case.
    vars.perk = c.perk.charAt(0).toLowerCase() + c.perk.slice(1);
    if (c.stage === "first" && first) subjectDefault = t("winback.vip.subject.firstNamed", {});
  } else {
    vars.points = f.number(c.points, 0);
    vars.date = f.longDate(c.expiresAt);
    vars.value = c.value ? f.money(c.value) : "";
    if (c.value && !own?.subject) subjectDefault = t("points.subject.value", {});
    if (c.link) {
      lines.push(`${t("points.cta")}: ${c.link}`);
      htmlParts.push(`<p><a href="${esc(c.link)}">${esc(t("points.cta"))}</a></p>`);
    }
  }

  // An experiment arm's subject is what the arm tests, so it wins over the merchant's block.
  const armSubject = c.template === "winback_standard" ? c.subject : null;
  const subject = fill(armSubject || own?.subject || subjectDefault, vars)
    .replace(/\s+/g, " ")
    .trim();
  const greeting =
    c.template === "winback_vip"
      ? first
        ? t("winback.vip.greeting", { name: first })
        : t("winback.vip.greeting.anonymous")
      : first
        ? t("winback.greeting", { name: first })
        : t("winback.greeting.anonymous");
  // A no-click branch's intro is what the branch changes, so it wins over the merchant's block (ADR 101).
  const branchIntro = c.template === "winback_standard" ? c.intro : null;
  // The catalogue's first intro reads "{offer} your next order" (a price cut); free shipping and a perk need their own sentence.
  const noValue = c.template === "winback_standard" && c.stage === "first" && (c.discount.freeShipping || c.discount.perk);
  const intro = fill(branchIntro || own?.intro || (noValue ? t("winback.standard.intro.first.noValue", {}) : defaults.intro), vars);
  const closing = fill(own?.closing || defaults.closing, vars);
  const paragraphs = (block: string) => block.split(/\n+/).filter((l) => l.trim());

  const text = [greeting, "", ...paragraphs(intro).flatMap((p) => [p, ""]), ...lines, ...(lines.length ? [""] : []), ...paragraphs(closing)]
    .join("\n")
    .trim();
  const html = [
    `<p>${esc(greeting)}</p>`,
    ...paragraphs(intro).map((p) => `<p>${esc(p)}</p>`),
    ...htmlParts.filter(Boolean),
    `<p>${paragraphs(closing).map(esc).join("<br>")}</p>`,
  ].join("\n");
  return { subject, text, html };
}

type Translate = ReturnType<typeof translator>;

function listInWords(items: string[], t: Translate): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} ${t("terms.and")} ${items[items.length - 1]}`;
}

/** The discount's terms as sentences: minimum, one use, products, stacking. */
export function termsInWords(terms: DiscountTerms | undefined, t: Translate, money: (n: number) => string): string {
  if (!terms) return "";
  const out: string[] = [];
  if (terms.minimumSubtotal) out.push(t("terms.minimum", { amount: money(terms.minimumSubtotal) }));
  if (terms.oncePerCustomer) out.push(t("terms.once"));
  if (terms.products?.length) out.push(t("terms.products", { products: listInWords(terms.products, t) }));
  if (terms.combinesWith) {
    const kinds = [
      terms.combinesWith.productDiscounts ? t("terms.kind.product") : "",
      terms.combinesWith.orderDiscounts ? t("terms.kind.order") : "",
      terms.combinesWith.shippingDiscounts ? t("terms.kind.shipping") : "",
    ].filter(Boolean);
    out.push(kinds.length ? t("terms.combine", { kinds: listInWords(kinds, t) }) : t("terms.noCombine"));
  }
  return out.join(" ");
}

/** Example content for the settings page's preview of each template. */
export function sampleContent(id: TemplateId, locale: Locale, now: Date, shopDomain: string): EmailContent {
  const t = translator(locale);
  const firstName = t("email.preview.customer");
  const ends = new Date(now.getTime() + 14 * 86_400_000).toISOString();
  switch (id) {
    case "winback_standard.first":
    case "winback_standard.reminder":
      return {
        template: "winback_standard",
        stage: id.endsWith("first") ? "first" : "reminder",
        firstName,
        discount: { percent: 15 },
        code: "WB-7Q3K9",
        endsAt: ends,
        link: `https://${shopDomain}/discount/WB-7Q3K9`,
        terms: { oncePerCustomer: true, combinesWith: { productDiscounts: false, orderDiscounts: false, shippingDiscounts: true } },
      };
    case "winback_vip.first":
    case "winback_vip.followup":
      return {
        template: "winback_vip",
        stage: id.endsWith("first") ? "first" : "followup",
        firstName,
        concierge: "Sam",
        perk: "Free express shipping",
      };
    case "points_nudge":
      return { template: "points_nudge", firstName, points: 450, value: 4.5, expiresAt: ends, link: `https://${shopDomain}` };
  }
}

/** What every marketing email's footer says, in the customer's locale: why, who and where (postal address), how to stop. */
export interface Footer {
  shopName: string;
  postalAddress: string;
  url: string;
  locale: Locale;
}

function addressLine(f: Footer): string {
  return f.postalAddress
    .split(/\n+/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(", ");
}

export function withTextFooter(text: string, f: Footer): string {
  const t = translator(f.locale);
  const address = addressLine(f);
  return [
    text.replace(/\s+$/, ""),
    "",
    "--",
    t("email.footer.reason", { shop: f.shopName }),
    ...(address ? [t("email.footer.address", { shop: f.shopName, address })] : []),
    t("email.footer.unsubscribeText", { url: f.url }),
    "",
  ].join("\n");
}

export function withHtmlFooter(html: string, f: Footer): string {
  const t = translator(f.locale);
  const address = addressLine(f);
  const footer =
    `<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 12px">` +
    `<p style="font-size:12px;color:#555;line-height:1.5">${esc(t("email.footer.reason", { shop: f.shopName }))} ` +
    `<a href="${esc(f.url)}" style="color:#555">${esc(t("email.footer.unsubscribe"))}</a></p>` +
    (address
      ? `<p style="font-size:12px;color:#555;line-height:1.5">${esc(t("email.footer.address", { shop: f.shopName, address }))}</p>`
      : "");
  return /<\/body>/i.test(html) ? html.replace(/<\/body>/i, `${footer}</body>`) : `${html}${footer}`;
}
