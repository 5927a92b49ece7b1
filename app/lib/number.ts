import { stripNul } from "./text";

/**
 * Numbers as merchants type them into a form field, in any of the usual locales:
 *
 *   "1.5", "1,5"            → 1.5     (one separator not followed by exactly three digits: decimal)
 *   "1,500.25", "1.500,25"  → 1500.25 (both kinds: the last one is the decimal separator)
 *   "1,500,000", "1.500.000", "1 500 000", "1'500" → grouped integer (a separator seen twice, or a
 *                             space/apostrophe, can only group thousands)
 *   "0,125", ",5", "5."     → 0.125, 0.5, 5 (a leading 0 or nothing cannot start a thousands group)
 *   "1,500", "1.500"        → ambiguous: 1500 in en-US, 1.5 in de-DE. Rejected with a message that
 *                             says both readings, unless the field takes whole numbers only (then
 *                             the only possible reading is 1500).
 *
 * Rejected: exponents ("1e308"), hex, Infinity/NaN, letters, a misplaced group ("1,50,0"), more than
 * one sign. We never guess: "1,5" silently saved as 15 (Number("1,5".replace(",", ""))) is the bug
 * this replaces (issue 16).
 */
export type NumberResult = { ok: true; value: number } | { ok: false; error: string };

export interface NumberOptions {
  /** Whole numbers only: "1,500" then reads as 1500, and "2.5" is an error. */
  integer?: boolean;
}

// Space-like group separators: space, NBSP, narrow NBSP (fr-FR), thin space; apostrophe (de-CH).
const SPACE_GROUP = /[ \u00a0\u202f\u2009'’]/g;
const HAS_SPACE_GROUP = /[ \u00a0\u202f\u2009'’]/;
const GROUPED = /^\d{1,3}(?:,\d{3})+$/;
const GROUPED_DOT = /^\d{1,3}(?:\.\d{3})+$/;

export function parseNumberInput(raw: string | null | undefined, opts: NumberOptions = {}): NumberResult | null {
  const s0 = stripNul(raw ?? "").trim();
  if (s0 === "") return null;
  const fail = (error: string): NumberResult => ({ ok: false, error });
  let s = s0.replace(/^[\u2212]/, "-"); // typographic minus from a copy/paste
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    if (s[0] === "-") sign = -1;
    s = s.slice(1).trim();
  }
  const hadSpaceGroups = HAS_SPACE_GROUP.test(s);
  if (hadSpaceGroups) {
    // Spaces/apostrophes only ever group thousands; check the groups before dropping them.
    const intPart = s.split(/[.,]/)[0]!;
    if (!/^\d{1,3}(?:[ \u00a0\u202f\u2009'’]\d{3})+$/.test(intPart)) return fail("Enter a number");
    s = s.replace(SPACE_GROUP, "");
  }
  if (!/^[\d.,]+$/.test(s) || !/\d/.test(s)) return fail("Enter a number");

  const dots = (s.match(/\./g) ?? []).length;
  const commas = (s.match(/,/g) ?? []).length;
  let normalized: string;
  if (dots === 0 && commas === 0) normalized = s;
  else if (dots > 0 && commas > 0) {
    // Both kinds: the last separator is the decimal one, it appears once, and the other only groups.
    const dec = s.lastIndexOf(".") > s.lastIndexOf(",") ? "." : ",";
    const grp = dec === "." ? "," : ".";
    const [int, frac, ...rest] = s.split(dec);
    if (rest.length || (dec === "." ? dots : commas) !== 1) return fail("Enter a number");
    if (!(grp === "," ? GROUPED : GROUPED_DOT).test(int!) || !/^\d+$/.test(frac!))
      return fail("The thousands separators are misplaced, e.g. 1,500.25");
    normalized = `${int!.split(grp).join("")}.${frac}`;
  } else {
    const sep = dots ? "." : ",";
    const count = dots || commas;
    if (count > 1) {
      // Twice or more: only a thousands separator repeats.
      if (!(sep === "," ? GROUPED : GROUPED_DOT).test(s)) return fail("The thousands separators are misplaced, e.g. 1,500,000");
      normalized = s.split(sep).join("");
    } else {
      const [int, frac] = s.split(sep) as [string, string];
      const couldGroup = /^[1-9]\d{0,2}$/.test(int) && /^\d{3}$/.test(frac);
      if (couldGroup && !hadSpaceGroups) {
        if (!opts.integer) {
          const asInt = Number(int + frac);
          const asDec = Number(`${int}.${frac}`);
          return fail(`Ambiguous: type ${asInt} or ${asDec} (without a thousands separator)`);
        }
        normalized = int + frac;
      } else {
        if (!/^\d*$/.test(int) || !/^\d*$/.test(frac) || (int === "" && frac === "")) return fail("Enter a number");
        normalized = `${int || "0"}.${frac || "0"}`;
      }
    }
  }
  const value = sign * Number(normalized);
  if (!Number.isFinite(value)) return fail("Enter a number");
  if (opts.integer && !Number.isInteger(value)) return fail("Whole numbers only");
  return { ok: true, value: value === 0 ? 0 : value };
}
