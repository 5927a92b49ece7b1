import { DEFAULT_LOCALE } from "./format";
import { parseNumberInput, type NumberOptions } from "./number";
import { stripNul } from "./text";

/**
 * The form and query-string boundary: every value a route reads from FormData or URLSearchParams
 * goes through lib/text's one string rule (NUL removed), so a `\u0000` typed or pasted into a search
 * box, note or name can never reach PostgreSQL ("invalid byte sequence for encoding UTF8: 0x00").
 * Files are passed through untouched.
 */
export function cleanForm(form: FormData): FormData {
  const out = new FormData();
  for (const [k, v] of form.entries()) out.append(stripNul(k), typeof v === "string" ? stripNul(v) : v);
  return out;
}

export function cleanParams(params: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of params.entries()) out.append(stripNul(k), stripNul(v));
  return out;
}

/** One text field, cleaned; undefined when absent (a File is not text). */
export function formText(form: FormData, name: string): string | undefined {
  const v = form.get(name);
  return typeof v === "string" ? stripNul(v) : undefined;
}

/** The form as a plain object of cleaned strings (last value wins), for zod schemas of simple forms. */
export function formObject(form: FormData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form.entries()) if (typeof v === "string") out[stripNul(k)] = stripNul(v);
  return out;
}

/**
 * A numeric field as the merchant typed it (lib/number: "1,5" is 1.5, "1,500" is ambiguous).
 * undefined when empty; a bad value records its message under the field's name in `errors` and
 * yields NaN, so the caller can go on and report every field after one save.
 */
export function formNumber(form: FormData, name: string, errors: Record<string, string>, opts: NumberOptions = {}): number | undefined {
  const r = parseNumberInput(formText(form, name), opts);
  if (r === null) return undefined;
  if (r.ok) return r.value;
  errors[name] ??= r.error;
  return Number.NaN;
}

/** A zod issue as the schema reports it (the fields issueMessage reads). */
export type FormIssue = {
  path: PropertyKey[];
  code?: string;
  message: string;
  maximum?: unknown;
  minimum?: unknown;
  inclusive?: boolean;
  expected?: string;
};

/**
 * A schema issue in the form's own units: "At most 50 %" for a stored share of 0.5 (scale 100),
 * "At most 1,000,000" instead of zod's "Too big: expected number to be <=1000000".
 */
export function issueMessage(i: FormIssue, scale = 1, unit?: string): string {
  const fmt = (n: unknown) =>
    `${Number((Number(n) * scale).toPrecision(12)).toLocaleString(DEFAULT_LOCALE)}${unit ? (unit === "%" ? " %" : ` ${unit}`) : ""}`;
  if (i.code === "too_big" && typeof i.maximum === "number")
    return i.inclusive === false ? `Must be less than ${fmt(i.maximum)}` : `At most ${fmt(i.maximum)}`;
  if (i.code === "too_small" && typeof i.minimum === "number")
    return i.inclusive === false ? `Must be more than ${fmt(i.minimum)}` : `At least ${fmt(i.minimum)}`;
  if (i.code === "invalid_type" && i.expected === "int") return "Whole numbers only";
  if (i.code === "invalid_type") return "Enter a number";
  return i.message.charAt(0).toUpperCase() + i.message.slice(1);
}
