/**
 * The one error vocabulary of the app. Every layer throws AppError with a code from this list,
 * so routes, jobs and the CLI can map failures to a status, a retry decision and a merchant message
 * without string matching.
 */
export type ErrorCode =
  | "INVALID_INPUT" // a boundary (form, webhook body, JSONL line, CSV row, job payload) failed to parse
  | "UNAUTHENTICATED" // forged/expired session token, bad HMAC, wrong access token
  | "NOT_FOUND"
  | "CONFLICT" // idempotency or state-machine violation
  | "THROTTLED" // Shopify cost bucket empty; retry after `retryAfterMs`
  | "SHOPIFY_USER_ERRORS" // a mutation answered with userErrors
  | "SHOPIFY_GRAPHQL" // top-level GraphQL errors (schema violation, access denied)
  | "BULK_OPERATION_FAILED"
  | "NETWORK" // transient I/O: download cut, connection reset
  | "INSUFFICIENT_DATA" // too little history to fit a model
  | "CONFIG" // env or settings invalid
  | "INTERNAL";

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: unknown; cause?: unknown; retryable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.details = opts.details;
    this.retryable = opts.retryable ?? (code === "THROTTLED" || code === "NETWORK");
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export function isAppError(e: unknown, code?: ErrorCode): e is AppError {
  return e instanceof AppError && (code === undefined || e.code === code);
}

/** HTTP status a route should answer with for an error code. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case "INVALID_INPUT":
      return 400;
    case "UNAUTHENTICATED":
      return 401;
    case "NOT_FOUND":
      return 404;
    case "CONFLICT":
      return 409;
    case "THROTTLED":
      return 429;
    case "NETWORK":
      // Transient I/O (a connection reset, SMTP or Shopify unreachable): the same request may pass later.
      return 503;
    case "SHOPIFY_USER_ERRORS":
      return 422;
    case "CONFIG":
    case "INTERNAL":
      return 500;
    default:
      return 502;
  }
}
