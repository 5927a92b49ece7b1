import { z } from "zod";
import type { Sql } from "../db/sql";
import type { CampaignSettings } from "../domain/campaigns";
import { parseEmailAddress } from "../lib/email-address";
import { cleanForm, formText } from "../lib/form";
import { parseOrThrow } from "../lib/parse";
import { loadSettingsSection, saveSettingsSection } from "../shop-settings.server";
import { isAppError } from "../lib/errors";

/** An optional single address: "" or exactly one bare address (lib/email-address: never a list). */
const optionalEmail = z
  .string()
  .trim()
  .max(254)
  .superRefine((v, ctx) => {
    if (!v) return;
    const r = parseEmailAddress(v);
    if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
  });

const oneLine = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    // eslint-disable-next-line no-control-regex -- NUL and line breaks are what this check rejects
    .refine((v) => !/[\r\n\u0000]/.test(v), "one line only");

/**
 * The shop's VIP concierge settings (Shop.settings.outreach): who the VIPs hear from, when an
 * unanswered check-in is followed up and escalated, and to whom. Every new VIP task takes its
 * follow-up and grace days from here; a campaign's plan may still name its own concierge or owner.
 */
export const outreachSettingsSchema = z.object({
  conciergeName: oneLine(80).default(""),
  conciergeRole: oneLine(80).default("Customer care"),
  /** where VIP replies go: the VIP email's reply-to (messaging reads it through conciergeContact) */
  conciergeEmail: optionalEmail.default(""),
  followUpDays: z.number().int().min(1).max(60).default(7),
  graceDays: z.number().int().min(0).max(30).default(2),
  ownerName: oneLine(200).default(""),
  /** the escalation notice goes here */
  ownerEmail: optionalEmail.default(""),
});

export type OutreachSettings = z.output<typeof outreachSettingsSchema>;

export function parseOutreachSettings(input: unknown): OutreachSettings {
  return parseOrThrow(outreachSettingsSchema, input ?? {}, "outreach settings");
}

export async function loadOutreachSettings(sql: Sql, shop: string): Promise<OutreachSettings> {
  return loadSettingsSection(sql, shop, "outreach", parseOutreachSettings);
}

export async function saveOutreachSettings(sql: Sql, shop: string, settings: OutreachSettings): Promise<void> {
  await saveSettingsSection(sql, shop, "outreach", parseOutreachSettings(settings));
}

/**
 * The concierge a VIP email names and replies to (messaging: sender name / reply-to of VIP
 * emails). `replyTo` is null when the merchant gave no address: the shop's default reply-to applies.
 */
export async function conciergeContact(sql: Sql, shop: string): Promise<{ name: string; role: string; replyTo: string | null }> {
  const s = await loadOutreachSettings(sql, shop);
  return { name: s.conciergeName, role: s.conciergeRole, replyTo: s.conciergeEmail || null };
}

/**
 * What a new VIP task is created with: the campaign's own concierge name and owner when its plan
 * names them, otherwise the shop's concierge settings; follow-up and grace days always from the
 * shop's settings (the one place a merchant sets them). The owner is stored as the address when
 * there is one, so the escalation notice can be mailed; otherwise as the name.
 */
export function vipTaskSettings(
  shop: OutreachSettings,
  campaign: Pick<CampaignSettings["vip"], "conciergeName" | "conciergeRole" | "owner">,
) {
  // The shop's named concierge stands in only when the campaign's plan names nobody.
  const fromShop = campaign.conciergeName.trim() === "" && shop.conciergeName !== "";
  return {
    conciergeName: fromShop ? shop.conciergeName : campaign.conciergeName.trim(),
    conciergeRole: fromShop ? shop.conciergeRole : campaign.conciergeRole.trim(),
    owner: campaign.owner.trim() || shop.ownerEmail || shop.ownerName,
    followUpDays: shop.followUpDays,
    graceDays: shop.graceDays,
  };
}

export type OutreachSettingsForm = { ok: true; settings: OutreachSettings } | { ok: false; errors: Record<string, string> };

/** The settings card's form, parsed strictly: each problem is an error on its field. */
export function parseOutreachSettingsForm(raw: FormData): OutreachSettingsForm {
  const form = cleanForm(raw);
  const text = (k: string) => formText(form, k) ?? "";
  const int = (k: string) => (/^\s*\d+\s*$/.test(text(k)) ? Number(text(k)) : Number.NaN);
  const errors: Record<string, string> = {};
  for (const k of ["followUpDays", "graceDays"]) if (Number.isNaN(int(k))) errors[k] = "Enter a whole number of days";
  try {
    const settings = parseOutreachSettings({
      conciergeName: text("conciergeName"),
      conciergeRole: text("conciergeRole") || undefined,
      conciergeEmail: text("conciergeEmail"),
      followUpDays: int("followUpDays"),
      graceDays: int("graceDays"),
      ownerName: text("ownerName"),
      ownerEmail: text("ownerEmail"),
    });
    return Object.keys(errors).length ? { ok: false, errors } : { ok: true, settings };
  } catch (e) {
    if (!isAppError(e, "INVALID_INPUT")) throw e;
    for (const i of (e.details as Array<{ path: PropertyKey[]; message: string }> | undefined) ?? []) {
      const key = String(i.path[0] ?? "form");
      errors[key] ??= i.message;
    }
    return { ok: false, errors };
  }
}
