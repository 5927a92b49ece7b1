import { z } from "zod";
import { AppError } from "./errors";
import { stripNul } from "./text";

/**
 * One recipient, one address. Mail libraries (nodemailer included) read a `to`/`replyTo` string as
 * an address *list*: "a@x.com, b@y.com", "a@x.com;b@y.com", `"Boss" <a@x.com>, c@evil.test` or a
 * value with a line break (header injection) all fan out or add headers. So every settings field
 * that holds an address, and the sending path as a last check, accepts exactly one bare address:
 *
 * - one `@`; local part of RFC 5322 atext and single dots (no quoted local parts, no comments);
 * - a domain of dot-separated labels (letters, digits, hyphens; IDN letters allowed), with a TLD;
 * - no whitespace, control characters, `,` `;` `<` `>` `"` `(` `)` `[` `]` `\` `:` anywhere;
 * - at most 254 characters (RFC 5321 path limit), local part at most 64.
 *
 * Display names ("Boss <a@x.com>") are refused rather than parsed: the name is not needed for a
 * recipient, and refusing is the only way to be sure a name cannot smuggle a second address.
 */
const LOCAL = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
const FORBIDDEN = /[\s\p{Cc},;<>"()[\]\\:]/u;

export type AddressResult = { ok: true; address: string } | { ok: false; error: string };

export function parseEmailAddress(raw: string): AddressResult {
  const s = stripNul(raw).trim();
  const fail = (error: string): AddressResult => ({ ok: false, error });
  if (!s) return fail("Enter an email address");
  if (FORBIDDEN.test(s)) {
    return /[,;]/.test(s) || (s.match(/@/g) ?? []).length > 1
      ? fail("Enter exactly one email address")
      : fail("Enter a plain email address, like name@example.com (no name, spaces or brackets)");
  }
  const at = s.split("@");
  if (at.length !== 2) return fail(at.length > 2 ? "Enter exactly one email address" : "An email address needs an @");
  const [local, domain] = at as [string, string];
  if (s.length > 254 || local.length > 64) return fail("This email address is too long");
  if (!LOCAL.test(local)) return fail("The part before the @ is not valid");
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1]!)) {
    return fail("The domain after the @ is not valid");
  }
  return { ok: true, address: s };
}

export function isSingleEmailAddress(raw: string | null | undefined): raw is string {
  return typeof raw === "string" && parseEmailAddress(raw).ok;
}

/** The last check before a message leaves: throws INVALID_INPUT (not retryable) instead of sending to a list. */
export function singleEmailAddress(raw: string, what: string): string {
  const r = parseEmailAddress(raw);
  if (!r.ok) throw new AppError("INVALID_INPUT", `${what}: ${r.error}`, { retryable: false });
  return r.address;
}

/** zod: exactly one address (trimmed). */
export const EmailAddressSchema = z.string().transform((v, ctx) => {
  const r = parseEmailAddress(v);
  if (!r.ok) {
    ctx.addIssue({ code: "custom", message: r.error });
    return z.NEVER;
  }
  return r.address;
});
