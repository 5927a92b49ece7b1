import type { Transporter } from "nodemailer";
import type { Database } from "../db/open";
import type { Sql } from "../db/sql";
import type { Env } from "../env.server";
import type { AdminClient } from "../shopify/graphql-client";
import type { JobDefinition, JobQueue } from "./queue";

/**
 * The infrastructure every feature is built from, created once by the composition root
 * (app/app.server.ts) and passed in: features import no infrastructure singleton, so no feature
 * module imports the module that lists the features (no import cycle, no lazy `import()`).
 * Tests build their own context (an in-memory database, a recording queue, a fixed clock).
 */
export interface AppContext {
  /** The app database; `db.ready()` waits for the migrations. */
  db: Database;
  /** The job queue (sending only: which queue runs the jobs is the root's business). */
  queue: Pick<JobQueue, "send">;
  /** An Admin API client for a shop, on its offline session (background work). */
  adminClient: (shop: string) => Promise<AdminClient>;
  now: () => Date;
  /** The validated environment, read when needed. */
  env: () => Env;
  /** The SMTP transport from SMTP_URL, built on first use; null without SMTP_URL. */
  mailer: () => Transporter | null;
}

/** An order that changed in the app's database (webhook applied, newer than what was stored). */
export interface OrderChanged {
  shop: string;
  /** Shopify legacy ids as exact decimal strings. */
  orderId: string;
  customerId: string | null;
  /** Set when the change moved the order away from another customer (whose figures changed too). */
  previousCustomerId?: string | null;
}

/**
 * What a product feature (analysis, campaigns, outreach, points, messaging) plugs into the app's
 * background work. Each feature module exports `createXFeature(ctx: AppContext)`; the composition
 * root (app/app.server.ts) creates them and registers their jobs and hooks.
 */
export interface Feature {
  name: string;
  jobs?: JobDefinition[];
  /** After each authentication of a shop (install, re-auth). */
  afterInstall?: (shop: string) => Promise<void>;
  /** After a sync run merged completely (initial or delta). */
  onSyncCompleted?: (shop: string) => Promise<void>;
  /** After an orders/create or orders/updated webhook changed the stored order. */
  onOrderChanged?: (event: OrderChanged) => Promise<void>;
  /**
   * Inside the transaction that stored orders (webhook batch or sync merge), with the customers whose
   * orders changed (null: every customer of the shop); a failure rolls the orders back (ADR 105).
   */
  onOrdersWritten?: (tx: Sql, shop: string, customerIds: string[] | null) => Promise<void>;
  /**
   * GDPR compliance (docs/decisions/076-table-ownership.md): each feature deletes or exports the
   * rows of its own tables, inside the transaction app/compliance.server.ts opens, so compliance
   * names no feature's table. customers/redact (and the orders Shopify names), shop/redact,
   * customers/data_request (rows by table name).
   */
  redactCustomers?: (tx: Sql, shop: string, input: { customerIds: string[]; orderIds: string[] }) => Promise<void>;
  redactShop?: (tx: Sql, shop: string) => Promise<void>;
  exportCustomerData?: (sql: Sql, shop: string, customerIds: string[]) => Promise<Record<string, unknown[]>>;
}

/** Runs one hook of every feature; one feature failing does not stop the others, but the error is rethrown. */
export async function runFeatureHooks<K extends "afterInstall" | "onSyncCompleted" | "onOrderChanged">(
  features: Feature[],
  hook: K,
  arg: Parameters<NonNullable<Feature[K]>>[0],
): Promise<void> {
  const errors: unknown[] = [];
  for (const f of features) {
    const fn = f[hook] as ((a: typeof arg) => Promise<void>) | undefined;
    if (!fn) continue;
    try {
      await fn(arg);
    } catch (e) {
      console.error(`[features] ${f.name}.${hook} failed`, e);
      errors.push(e);
    }
  }
  if (errors.length) throw errors[0];
}
