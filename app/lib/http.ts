import { AppError, httpStatusFor, isAppError, type ErrorCode } from "./errors";

/**
 * The one way routes turn errors into responses (issue 12). An AppError's code decides the HTTP
 * status (`httpStatusFor`) and its message is what the merchant (or the customer, on public pages)
 * reads; anything else is a bug and is rethrown, so Remix's error boundary and the server log see
 * it with its stack. Forms answer `{ ok: false, error, fieldErrors }` so pages show messages next
 * to the fields.
 */

/** The body of every JSON error answer. */
export interface ErrorBody {
  ok: false;
  error: string;
  code?: ErrorCode;
  fieldErrors?: Record<string, string>;
}

const TEXT = { "Content-Type": "text/plain; charset=utf-8" };

/** A route's own status for some codes (a forged unsubscribe link is 403, not 401: there is no login to offer). */
export type StatusOverrides = Partial<Record<ErrorCode, number>>;

/** HTTP status for any error: an AppError by its code (or the route's override), anything else 500. */
export function statusOf(e: unknown, overrides: StatusOverrides = {}): number {
  return e instanceof AppError ? (overrides[e.code] ?? httpStatusFor(e.code)) : 500;
}

/** A JSON error answer that does not come from an exception (wrong method, missing configuration). */
export function jsonError(
  status: number,
  error: string,
  opts: { code?: ErrorCode; fieldErrors?: Record<string, string>; headers?: HeadersInit } = {},
): Response {
  const body: ErrorBody = {
    ok: false,
    error,
    ...(opts.code ? { code: opts.code } : {}),
    ...(opts.fieldErrors ? { fieldErrors: opts.fieldErrors } : {}),
  };
  return jsonResponse(body, { status, headers: opts.headers });
}

/**
 * `Response.json` without relying on the static method: remix-serve's Node globals replace
 * `Response` with a class that lacks it, so in the production server `Response.json(...)` throws
 * (a 500) while tests under plain Node pass (found by test/e2e/visits.test.ts).
 */
export function jsonResponse(body: unknown, init: { status?: number; headers?: HeadersInit } = {}): Response {
  const headers = new Headers(init.headers);
  if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status: init.status ?? 200, headers });
}

/** A form that did not validate: 400 with the message for each field (and one line for the banner). */
export function formErrors(fieldErrors: Record<string, string>, error = "Check the highlighted fields.", headers?: HeadersInit): Response {
  return jsonError(400, error, { code: "INVALID_INPUT", fieldErrors, headers });
}

/** A plain-text error answer (downloads, resource routes a mailbox provider calls). */
export function textError(status: number, message: string, headers?: HeadersInit): Response {
  return new Response(message, { status, headers: { ...TEXT, ...(headers as Record<string, string> | undefined) } });
}

export interface RespondOptions {
  /** JSON `{ ok: false, error, code, fieldErrors }` (default) or plain text. */
  as?: "json" | "text";
  headers?: HeadersInit;
  /** Only these codes become responses; other AppErrors are rethrown too (default: every code but INTERNAL). */
  codes?: ErrorCode[];
  /** Statuses that differ from httpStatusFor for this route. */
  status?: StatusOverrides;
}

function handled(e: unknown, codes: ErrorCode[] | undefined): e is AppError {
  if (!isAppError(e)) return false;
  return codes ? codes.includes(e.code) : e.code !== "INTERNAL";
}

/** The response for an AppError; anything else (and INTERNAL) is rethrown. */
export function errorResponse(e: unknown, opts: RespondOptions = {}): Response {
  if (!handled(e, opts.codes)) throw e;
  const status = statusOf(e, opts.status);
  if (opts.as === "text") return textError(status, e.message, opts.headers);
  const fieldErrors = fieldErrorsOf(e);
  return jsonError(status, e.message, { code: e.code, fieldErrors, headers: opts.headers });
}

/** True when `errorResponse` would answer this error (an AppError with one of `codes`, or any but INTERNAL). */
export function isHandled(e: unknown, codes?: ErrorCode[]): e is AppError {
  return handled(e, codes);
}

/** Runs a route's work and answers an AppError with `errorResponse`. */
export async function respond<T>(work: () => Promise<T>, opts: RespondOptions = {}): Promise<T | Response> {
  try {
    return await work();
  } catch (e) {
    return errorResponse(e, opts);
  }
}

/**
 * For loaders: an AppError becomes a thrown Response (Remix renders the route's error boundary with
 * the status and the message); anything else is rethrown as it is.
 */
export function throwAsResponse(e: unknown, codes?: ErrorCode[]): never {
  if (handled(e, codes)) throw textError(httpStatusFor(e.code), e.message);
  throw e;
}

/** Field messages an INVALID_INPUT error carries (`details` as `{ fieldErrors }` or zod-like issues with a path). */
export function fieldErrorsOf(e: AppError): Record<string, string> | undefined {
  const d = e.details as { fieldErrors?: Record<string, string> } | Array<{ path?: unknown[]; message?: string }> | undefined;
  if (!d) return undefined;
  if (!Array.isArray(d)) return d.fieldErrors && typeof d.fieldErrors === "object" ? d.fieldErrors : undefined;
  const out: Record<string, string> = {};
  for (const i of d) {
    const key = Array.isArray(i?.path) && i.path.length ? String(i.path[0]) : null;
    if (key && typeof i.message === "string") out[key] ??= i.message;
  }
  return Object.keys(out).length ? out : undefined;
}
