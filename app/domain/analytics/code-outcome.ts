/**
 * What became of the discount code a campaign or program message carried (issue 15 item 1,
 * docs/decisions/102-visits-codes-and-won-back-health.md). Pure: the caller reads the messages,
 * the code's end and the orders that used the code, per message window.
 *
 * One customer's messages of one campaign, in send order, split time into windows: message i owns
 * [sent_i, sent_{i+1}) and the last one [sent_last, code end). The first window holding an order
 * that used the campaign's code is the message that was "redeemed"; the customer's other messages
 * of that campaign are "followed" (the redemption came in another message's window). With no redemption, every message is
 * "ignored" once the code has ended, and "open" before. A message without a code (VIP branch, or
 * no discount created) is "no_code".
 */
export type CodeOutcome = "redeemed" | "followed" | "ignored" | "open" | "no_code";

export interface CodeMessage {
  id: string;
  sentAt: Date;
}

/** The windows [from, to) to count redemptions in, one per message (sorted by sentAt), ending at the code's end or `now`. */
export function codeWindows(
  messages: readonly CodeMessage[],
  codeEndsAt: Date | null,
  now: Date,
): Array<{ id: string; from: Date; to: Date }> {
  const sorted = [...messages].sort((a, b) => a.sentAt.getTime() - b.sentAt.getTime() || a.id.localeCompare(b.id));
  const end = codeEndsAt && codeEndsAt.getTime() < now.getTime() ? codeEndsAt : now;
  return sorted.map((m, i) => {
    const next = sorted[i + 1]?.sentAt ?? end;
    const to = next.getTime() < end.getTime() ? next : end;
    return { id: m.id, from: m.sentAt, to: to.getTime() < m.sentAt.getTime() ? m.sentAt : to };
  });
}

/**
 * Outcome per message (by id) given, per window of `codeWindows` (same order), how many orders
 * used the code. The customer's outcome for the campaign is the best of theirs ("redeemed" if any).
 */
export function codeOutcomes(
  windows: ReadonlyArray<{ id: string }>,
  redemptions: readonly number[],
  codeEndsAt: Date | null,
  now: Date,
): Map<string, CodeOutcome> {
  const out = new Map<string, CodeOutcome>();
  const k = redemptions.findIndex((n) => n > 0);
  const ended = codeEndsAt !== null && codeEndsAt.getTime() <= now.getTime();
  windows.forEach((w, i) => {
    out.set(w.id, k === -1 ? (ended ? "ignored" : "open") : i === k ? "redeemed" : "followed");
  });
  return out;
}

/** A customer's outcome for one campaign from their messages' outcomes. */
export function customerCodeOutcome(outcomes: Iterable<CodeOutcome>): CodeOutcome {
  const set = new Set(outcomes);
  if (set.has("redeemed")) return "redeemed";
  if (set.has("open")) return "open";
  if (set.has("ignored")) return "ignored";
  return "no_code";
}

export interface CodeCounts {
  /** Customers messaged with a code. */
  customers: number;
  redeemed: number;
  ignored: number;
  open: number;
}

export function countCodeOutcomes(perCustomer: Iterable<CodeOutcome>): CodeCounts {
  const c: CodeCounts = { customers: 0, redeemed: 0, ignored: 0, open: 0 };
  for (const o of perCustomer) {
    if (o === "no_code") continue;
    c.customers++;
    if (o === "redeemed") c.redeemed++;
    else if (o === "ignored") c.ignored++;
    else if (o === "open") c.open++;
  }
  return c;
}
