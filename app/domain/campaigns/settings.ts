import { z } from "zod";
import { AppError } from "../../lib/errors";
import { parseEmailAddress } from "../../lib/email-address";
import { DAY_MS } from "../analytics/dates";
import { MAX_COUNT, MAX_MONEY_AMOUNT } from "../limits";
import { StepNoClickBranchSchema } from "./branching";

const touchDays = (defaults: number[]) =>
  z
    .array(z.number().int().min(0).max(90))
    .min(1)
    .max(10)
    .refine((days) => days.every((d, i) => i === 0 || d > days[i - 1]), { message: "touch days must be strictly increasing" })
    .default(defaults);

const discountSchema = z
  .object({
    kind: z.enum(["percentage", "fixed_amount"]).default("percentage"),
    /** percent (0–100] for percentage, shop-currency amount for fixed_amount */
    value: z
      .number()
      .positive()
      .max(MAX_MONEY_AMOUNT, `at most ${MAX_MONEY_AMOUNT.toLocaleString("en-US")}`)
      .default(15),
    minimumSubtotal: z
      .number()
      .nonnegative()
      .max(MAX_MONEY_AMOUNT, `at most ${MAX_MONEY_AMOUNT.toLocaleString("en-US")}`)
      .nullable()
      .default(null),
    validityDays: z.number().int().min(1).max(90).default(14),
    /**
     * Days the code keeps working after the end the emails announce: a customer who clicks just
     * after midnight is not refused. The emails never mention it.
     */
    graceDays: z.number().int().min(0).max(14).default(0),
    combinesWith: z
      .object({
        orderDiscounts: z.boolean().default(false),
        productDiscounts: z.boolean().default(false),
        shippingDiscounts: z.boolean().default(true),
      })
      .prefault({}),
    appliesOncePerCustomer: z.boolean().default(true),
    /**
     * Which items the code reduces, enforced by Shopify (DiscountItemsInput): every item, or only
     * the chosen products. There is no free-text "exclusion": what the email says the code does
     * not cover, the code does not cover (ADR 077).
     */
    appliesTo: z
      .object({
        kind: z.enum(["all", "products"]).default("all"),
        products: z
          .array(
            z.object({
              id: z.string().regex(/^gid:\/\/shopify\/Product\/\d+$/, "a Shopify product id"),
              title: z.string().trim().min(1).max(255),
            }),
          )
          .max(100)
          .default([]),
      })
      .prefault({})
      .refine((a) => a.kind === "all" || a.products.length > 0, { message: "choose at least one product", path: ["products"] }),
  })
  .refine((d) => d.kind !== "percentage" || d.value <= 100, { message: "a percentage discount must be at most 100", path: ["value"] });

export const campaignSettingsSchema = z
  .object({
    discount: discountSchema.prefault({}),
    /** share of each branch kept as an untouched control group */
    holdoutShare: z.number().min(0).max(0.5).default(0.1),
    vip: z
      .object({
        conciergeName: z.string().trim().max(80).default(""),
        conciergeRole: z.string().trim().max(80).default("Customer care"),
        /** who gets escalated VIP tasks (staff name or email); with an @ it is mailed, so it must be exactly one address */
        owner: z
          .string()
          .trim()
          .max(200)
          .superRefine((v, ctx) => {
            // eslint-disable-next-line no-control-regex -- NUL is what this check rejects
            if (/[\r\n\u0000]/.test(v)) ctx.addIssue({ code: "custom", message: "one line only" });
            else if (v.includes("@")) {
              const r = parseEmailAddress(v);
              if (!r.ok) ctx.addIssue({ code: "custom", message: r.error });
            }
          })
          .default(""),
        /** replaces the suggestion from purchase history for every VIP */
        perkOverride: z.string().trim().min(1).max(200).nullable().default(null),
        followUpDays: z.number().int().min(1).max(60).default(7),
        graceDays: z.number().int().min(0).max(30).default(2),
        touchDays: touchDays([0, 7]),
      })
      .prefault({}),
    standard: z
      .object({
        touchDays: touchDays([0, 3, 10]),
        /** Sequences that react (ADR 101): a later step's variant when nobody clicked yet; none unless the merchant turns one on. */
        ifNoClick: z.array(StepNoClickBranchSchema).max(10).default([]),
      })
      .prefault({}),
    guardrails: z
      .object({
        maxUnsubscribeRate: z.number().min(0).max(1).default(0.003),
        maxComplaintRate: z.number().min(0).max(1).default(0.001),
        minDeliveries: z.number().int().min(1).max(MAX_COUNT).default(300),
      })
      .prefault({}),
    /** minimum gap between two marketing messages to one customer, across all campaigns */
    frequencyCapHours: z
      .number()
      .min(0)
      .max(24 * 30)
      .default(48),
    /** an order within this many days of launch counts as a reactivation */
    reactivationWindowDays: z.number().int().min(1).max(365).default(30),
    /**
     * Whom the Standard offer goes to (issue 15 item 5, ADR 100): every target ordered by churn
     * risk (today's plan), or by expected incremental profit once past campaigns have enough
     * treated and holdout outcomes (below that the launch falls back to risk and says why). The
     * budget cuts the ordered list; none means every target (by profit: every one worth sending).
     * VIPs always get their check-in: it is not a discount.
     */
    targeting: z
      .object({
        by: z.enum(["risk", "profit"]).default("risk"),
        maxCustomers: z.number().int().min(1).max(MAX_COUNT).nullable().default(null),
        maxDiscountCost: z
          .number()
          .positive()
          .max(MAX_MONEY_AMOUNT, `at most ${MAX_MONEY_AMOUNT.toLocaleString("en-US")}`)
          .nullable()
          .default(null),
        /** gross margin share of revenue, for incremental profit = uplift × order value × margin − discount cost */
        margin: z.number().gt(0).max(1).default(0.5),
      })
      .prefault({}),
  })
  .superRefine((s, ctx) => {
    // A branch belongs to a later step: day 0 has no earlier message to click, and a day that is no step never runs.
    const seen = new Set<number>();
    for (const [i, b] of s.standard.ifNoClick.entries()) {
      if (!s.standard.touchDays.includes(b.day) || seen.has(b.day))
        ctx.addIssue({
          code: "custom",
          path: ["standard", "ifNoClick", i, "day"],
          message: `day ${b.day} is not a later Standard step (steps: ${s.standard.touchDays.join(", ")}), or has two branches`,
        });
      seen.add(b.day);
    }
    // The last Standard touch advertises the offer; sending it after the code expired is a broken promise.
    const last = s.standard.touchDays[s.standard.touchDays.length - 1];
    if (last >= s.discount.validityDays) {
      ctx.addIssue({
        code: "custom",
        path: ["standard", "touchDays"],
        message: `last Standard touch (day ${last}) must be before the offer ends (day ${s.discount.validityDays})`,
      });
    }
  });

export type CampaignSettings = z.output<typeof campaignSettingsSchema>;
export type CampaignSettingsInput = z.input<typeof campaignSettingsSchema>;
export type DiscountSettings = CampaignSettings["discount"];
export type GuardrailSettings = CampaignSettings["guardrails"];

/** Parses merchant input (form or stored JSON), filling defaults; INVALID_INPUT lists every problem. */
export function parseCampaignSettings(input: unknown): CampaignSettings {
  const r = campaignSettingsSchema.safeParse(input ?? {});
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AppError("INVALID_INPUT", `campaign settings: ${detail}`, { details: r.error.issues });
  }
  return r.data;
}

export function defaultCampaignSettings(): CampaignSettings {
  return parseCampaignSettings({});
}

/** The discount ends exactly validityDays × 24h after launch; rendering it in the shop's zone is the UI's job. */
export function discountEndsAt(launchAt: Date, settings: Pick<CampaignSettings, "discount">): Date {
  return new Date(launchAt.getTime() + settings.discount.validityDays * DAY_MS);
}

/** When the code stops working in Shopify: the announced end plus the grace days. */
export function codeEndsAt(advertisedEnd: Date, settings: Pick<CampaignSettings, "discount">): Date {
  return new Date(advertisedEnd.getTime() + settings.discount.graceDays * DAY_MS);
}

/** "15% off" / "10.00 EUR off", for plan rows and email copy. */
export function describeDiscount(d: DiscountSettings, currencyCode?: string): string {
  if (d.kind === "percentage") return `${Number(d.value.toFixed(2))}% off`;
  return `${d.value.toFixed(2)}${currencyCode ? ` ${currencyCode}` : ""} off`;
}
