import { z } from "zod";
import { AppError } from "../lib/errors";

/**
 * How every adapter in app/shopify reads Shopify's answers (ADR 081):
 * - the response is parsed with the adapter's zod schema; a shape the schema does not accept is a
 *   SHOPIFY_GRAPHQL error naming the operation and the path, never a silent cast;
 * - a mutation's userErrors come back as data (`Outcome`), typed, with Shopify's code and message:
 *   the caller cannot reach the value without looking at them, and decides (skip one customer,
 *   store the refusal for the merchant, adopt an existing object, or `requireOk` to throw).
 */

/** One entry of a payload's `userErrors` (UserError and its typed variants), absent fields as null. */
export const UserErrorSchema = z.object({
  field: z
    .array(z.string())
    .nullish()
    .transform((v) => v ?? null),
  message: z.string(),
  code: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
  /** metafieldsSet: which input element was refused (null when the whole input was). */
  elementIndex: z
    .number()
    .int()
    .nullish()
    .transform((v) => v ?? null),
  extraInfo: z
    .string()
    .nullish()
    .transform((v) => v ?? null),
});
export type ShopifyUserError = z.infer<typeof UserErrorSchema>;
export const UserErrorListSchema = z.array(UserErrorSchema);

/** A mutation's result: the value, or Shopify's refusal with every userError. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; userErrors: ShopifyUserError[] };

/** Parses Shopify's `data` for one operation; an unexpected shape is a SHOPIFY_GRAPHQL error saying where. */
export function parseResponse<S extends z.ZodTypeAny>(schema: S, data: unknown, operation: string): z.infer<S> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AppError("SHOPIFY_GRAPHQL", `${operation}: Shopify answered in an unexpected shape (${detail})`, { details: r.error.issues });
  }
  return r.data;
}

/**
 * A payload into an Outcome. A payload with neither a result nor a userError says nothing about
 * what happened: that is an error, not a success and not a refusal.
 */
export function outcome<T>(value: T | null | undefined, userErrors: ShopifyUserError[], operation: string): Outcome<T> {
  if (userErrors.length) return { ok: false, userErrors };
  if (value === null || value === undefined) throw new AppError("SHOPIFY_GRAPHQL", `${operation} returned neither a result nor userErrors`);
  return { ok: true, value };
}

/**
 * Shopify's refusal as one AppError SHOPIFY_USER_ERRORS: the message lists field, message and code of
 * every entry ("<what>: <field>: <message> (<CODE>); …"), details hold the entries.
 */
export function userErrorsError(
  userErrors: ReadonlyArray<Pick<ShopifyUserError, "message"> & Partial<Pick<ShopifyUserError, "field" | "code">>>,
  what: string,
): AppError {
  const text = userErrors
    .map((u) => `${u.field?.length ? u.field.join(".") + ": " : ""}${u.message}${u.code ? ` (${u.code})` : ""}`)
    .join("; ");
  return new AppError("SHOPIFY_USER_ERRORS", `${what}: ${text}`, { details: userErrors });
}

/** Throws `userErrorsError` when there is any userError. */
export function assertNoUserErrors(userErrors: Parameters<typeof userErrorsError>[0] | null | undefined, what = "mutation"): void {
  if (userErrors?.length) throw userErrorsError(userErrors, what);
}

/** The value, or Shopify's refusal thrown as `userErrorsError`. */
export function requireOk<T>(o: Outcome<T>, what: string): T {
  if (o.ok) return o.value;
  throw userErrorsError(o.userErrors, what);
}
