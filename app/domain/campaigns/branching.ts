import { z } from "zod";

/**
 * Sequences that react (issue 15 item 3): a step of a campaign or program may carry an `ifNoClick`
 * branch, taken when the customer made no human click on any earlier message of this campaign by
 * the time the step is due. The branch says another subject (and body intro) and/or the channel
 * `flow` (fire the Flow trigger instead of emailing, for merchants who text from Flow). Off unless
 * the merchant turned it on for the step. Pure: the send path reads the batch's clicks in one query
 * and asks this function per touch.
 */

const branchFields = {
  /** Email with other words, or only the Flow trigger (no email). */
  channel: z.enum(["email", "flow"]).default("email"),
  subject: z.string().trim().max(150).optional(),
  intro: z.string().trim().max(2000).optional(),
};
const needsWords = (b: { channel: string; subject?: string; intro?: string }) => b.channel === "flow" || !!b.subject || !!b.intro;
const needsWordsMessage = {
  message: "an email branch needs its own subject or intro (otherwise it is the same email)",
  path: ["subject"],
};

export const NoClickBranchSchema = z.object(branchFields).refine(needsWords, needsWordsMessage);
export type NoClickBranch = z.infer<typeof NoClickBranchSchema>;

/**
 * A branch as the settings store it: on the Standard step of `day` (the steps are the touch days,
 * so the branch names its step by day). Settings check that the day is a later step of the sequence.
 */
export const StepNoClickBranchSchema = z
  .object({ day: z.number().int().min(1).max(90), ...branchFields })
  .refine(needsWords, needsWordsMessage);
export type StepNoClickBranch = z.infer<typeof StepNoClickBranchSchema>;

/** The branch of the step on `day`, if the merchant turned one on. */
export function branchOfDay(branches: readonly StepNoClickBranch[] | undefined, day: number): NoClickBranch | null {
  return branches?.find((b) => b.day === day) ?? null;
}

/** Value of the touch's `variant` column: null for a step without a branch, so the page counts only steps that branch. */
export function variantOf(decision: BranchDecision, hasBranch: boolean): TouchVariant | null {
  return hasBranch ? decision.variant : null;
}

/** Which variant a touch took; recorded on the touch so the campaign page can count them. */
export type TouchVariant = "main" | "no_click";

export type BranchDecision =
  | { variant: "main" }
  | { variant: "no_click"; channel: "email"; subject: string | null; intro: string | null }
  | { variant: "no_click"; channel: "flow" };

export interface BranchInput {
  /** The step's branch; null or absent: the merchant did not turn it on. */
  ifNoClick?: NoClickBranch | null;
  /** The step's day in the sequence: day 0 has no earlier message to click. */
  day: number;
  /** When the step is due. Clicks after it do not count (a late retry decides as on time). */
  dueAt: Date;
  /** Human clicks (machine clicks excluded, ADR 093) on earlier messages of this campaign, by time. */
  humanClicksAt: readonly Date[];
}

/** The variant of one touch: the branch only when it is on, the step is not the first, and nobody clicked by its due time. */
export function branchFor(input: BranchInput): BranchDecision {
  const b = input.ifNoClick;
  if (!b || input.day <= 0) return { variant: "main" };
  const due = input.dueAt.getTime();
  if (input.humanClicksAt.some((at) => at.getTime() <= due)) return { variant: "main" };
  if (b.channel === "flow") return { variant: "no_click", channel: "flow" };
  return { variant: "no_click", channel: "email", subject: b.subject || null, intro: b.intro || null };
}
