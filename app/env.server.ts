import { z } from "zod";
import { AppError } from "./lib/errors";

/**
 * The app's configuration, parsed once. Everything that differs between the demo, tests and
 * production is here; production code has no test branches, only different values.
 */
/**
 * The scopes the app asks for. write_app_proxy: Shopify forwards storefront requests to the app
 * proxy only for apps holding it (shopify.dev, "About app proxies"). write_marketing_events: each
 * campaign and program is reported as an external marketing activity with its engagement, so it
 * appears in the merchant's Shopify Marketing reports (marketingActivityUpsertExternal,
 * marketingEngagementCreate).
 */
export const DEFAULT_SCOPES =
  "read_orders,read_all_orders,read_customers,write_customers,read_discounts,write_discounts,read_products,write_app_proxy,write_marketing_events";

const EnvSchema = z.object({
  SHOPIFY_API_KEY: z.string().min(1),
  SHOPIFY_API_SECRET: z.string().min(1),
  SHOPIFY_APP_URL: z.string().url(),
  /** Must equal `[access_scopes] scopes` in shopify.app.toml (a test checks both). */
  SCOPES: z.string().default(DEFAULT_SCOPES),
  /** postgres:// URL for real PostgreSQL; anything else (or unset) means embedded PGlite under DATA_DIR. */
  DATABASE_URL: z.string().optional(),
  DATA_DIR: z.string().default(".data"),
  /**
   * Where the Admin API of a shop lives. `{shop}` is replaced by the shop domain. The default is
   * Shopify itself; the demo and tests point it at the local Shopify emulator.
   */
  SHOPIFY_ADMIN_URL_TEMPLATE: z
    .string()
    .default("https://{shop}")
    .refine((v) => v.includes("{shop}"), "must contain {shop}"),
  APP_BRIDGE_URL: z.string().url().optional(),
  /**
   * Origins besides Shopify's admin allowed to frame the app (space separated), e.g. the local
   * emulator's admin frame in the demo. Shopify's own origins are always allowed.
   */
  ADMIN_FRAME_ORIGINS: z.string().optional(),
  SHOP_CUSTOM_DOMAIN: z.string().optional(),
  SMTP_URL: z.string().optional(),
  /**
   * SMTP connections the pooled transport keeps open at once (nodemailer's maxConnections): the
   * emails in flight. A `maxConnections` in SMTP_URL's query wins (docs/decisions/095-batched-sends.md).
   */
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  MAIL_FROM: z.string().default("Winback <winback@localhost>"),
  /**
   * Signs the mail relay's complaint/bounce reports to /email/feedback. Its own secret, never the
   * Shopify app secret: whoever runs the relay must not be able to forge Shopify webhooks or
   * session tokens. Unset: /email/feedback refuses every report.
   */
  MAIL_RELAY_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** Poll interval of the in-process job runner. */
  JOB_POLL_MS: z.coerce.number().int().positive().default(500),
  /** Jobs one instance runs at once (per queue on pg-boss, in total on the embedded runner). */
  JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Run background workers in this process (the web process of a small deployment). */
  RUN_WORKERS: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
});

export type Env = z.infer<typeof EnvSchema>;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new AppError("CONFIG", `Invalid environment: ${issues}`);
  }
  return result.data;
}

let cached: Env | undefined;
export function env(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//.test(url);
}
