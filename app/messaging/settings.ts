import { z } from "zod";
import { EmailAddressSchema } from "../lib/email-address";
import { LOCALES, type Locale } from "../lib/i18n";

/**
 * The shop's email identity and messaging rules (`Shop.settings.messaging`, docs/decisions/080-email-identity.md):
 * the name customers see as the sender, where replies go, the postal address every marketing email
 * must carry, the language customers read, the contact cap, and the blocks of each message the
 * merchant rewrote. Empty strings mean "not set" (sender name: the shop's name; reply-to: the
 * shop's contact email; postal address: marketing email is refused).
 */

/** The messages a merchant can rewrite: each kind, and the first vs later touch where they differ. */
export const TEMPLATE_IDS = [
  "winback_standard.first",
  "winback_standard.reminder",
  "winback_vip.first",
  "winback_vip.followup",
  "points_nudge",
] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

const Block = z
  .string()
  .max(2000)
  .transform((s) => s.replace(/\r\n?/g, "\n").trim());

export const TemplateBlocksSchema = z.object({
  subject: z
    .string()
    .max(300)
    .transform((s) => s.replace(/[\r\n]+/g, " ").trim())
    .default(""),
  intro: Block.default(""),
  closing: Block.default(""),
});
export type TemplateBlocks = z.infer<typeof TemplateBlocksSchema>;

export const DEFAULT_CONTACT_CAP = 6;

export const MessagingSettingsSchema = z.object({
  senderName: z
    .string()
    .max(120)
    .transform((s) => s.replace(/[\r\n"<>]+/g, " ").trim())
    .default(""),
  replyTo: z.union([z.literal(""), EmailAddressSchema]).default(""),
  postalAddress: z
    .string()
    .max(500)
    .transform((s) => s.replace(/\r\n?/g, "\n").trim())
    .default(""),
  /** Where the postal address came from: Shopify's shop address (defaulted) or the merchant's edit. */
  postalAddressSource: z.enum(["shopify", "merchant", "none"]).default("none"),
  locale: z.enum(LOCALES).default("en"),
  /** Marketing emails per customer in any 30 days, across campaigns, programs and points reminders. */
  contactCapPer30Days: z.number().int().min(1).max(30).default(DEFAULT_CONTACT_CAP),
  templates: z
    .object({
      "winback_standard.first": TemplateBlocksSchema.optional(),
      "winback_standard.reminder": TemplateBlocksSchema.optional(),
      "winback_vip.first": TemplateBlocksSchema.optional(),
      "winback_vip.followup": TemplateBlocksSchema.optional(),
      points_nudge: TemplateBlocksSchema.optional(),
    } satisfies Record<TemplateId, z.ZodTypeAny>)
    .default({}),
  /** Set once the defaults were read from Shopify (so a merchant's cleared field is not refilled). */
  defaultsFromShopifyAt: z.string().nullable().default(null),
  /** Why reading the defaults from Shopify failed (shown on the settings page). */
  defaultsError: z.string().nullable().default(null),
});

export type MessagingSettings = z.infer<typeof MessagingSettingsSchema>;

/** Stored settings with defaults filled in; a section that no longer parses falls back field by field to defaults. */
export function parseMessagingSettings(raw: unknown): MessagingSettings {
  const r = MessagingSettingsSchema.safeParse(raw ?? {});
  if (r.success) return r.data;
  // Keep every field that still parses: one bad field must not erase the postal address.
  const base = MessagingSettingsSchema.parse({});
  const obj = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const shape = MessagingSettingsSchema.shape;
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(shape) as Array<keyof typeof shape>) {
    const f = shape[key].safeParse(obj[key]);
    if (f.success) out[key] = f.data;
  }
  return out as MessagingSettings;
}

export function customerLocale(s: Pick<MessagingSettings, "locale">): Locale {
  return s.locale;
}

/** The shop's address from Shopify (`Shop.shopAddress`, "as it will appear to buyers"), one line per part. */
export function formatShopAddress(
  a:
    | {
        company?: string | null;
        address1?: string | null;
        address2?: string | null;
        city?: string | null;
        province?: string | null;
        zip?: string | null;
        country?: string | null;
      }
    | null
    | undefined,
): string {
  if (!a) return "";
  const cityLine = [a.zip, a.city, a.province]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join(" ");
  return [a.company, a.address1, a.address2, cityLine, a.country]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join("\n");
}
