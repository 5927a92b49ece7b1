import { z } from "zod";
import { AppError } from "./errors";

/** Parses a boundary value (webhook body, form data, job payload) or throws INVALID_INPUT saying where. */
export function parseOrThrow<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new AppError("INVALID_INPUT", `${what}: ${detail}`, { details: r.error.issues });
  }
  return r.data;
}

/** Numeric id from a Shopify GID or a REST numeric id. */
export function shopifyNumericId(id: string | number | bigint): bigint {
  if (typeof id === "bigint") return id;
  if (typeof id === "number") return BigInt(id);
  const m = /(\d+)(?:\?.*)?$/.exec(id);
  if (!m) throw new AppError("INVALID_INPUT", `Not a Shopify id: ${id}`);
  return BigInt(m[1]!);
}

/** A shop's permanent domain (`name.myshopify.com`), as in job payloads, tokens and sessions. */
export const ShopDomain = z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/i, "invalid shop domain");
