import { database } from "./db.server";
import { runForShop, runUnscoped } from "./db/shop-scope";
import { env } from "./env.server";
import { authenticate, setAfterAuthHandler } from "./shopify.server";
import { adminClientForShop } from "./shopify/admin-client.server";
import { mailTransport } from "./messaging/mail-transport.server";
import { createJobQueue } from "./jobs/queue.server";
import { runFeatureHooks, type AppContext, type Feature } from "./jobs/feature";
import type { JobDefinition, JobQueue } from "./jobs/queue";
import { confineJobs } from "./jobs/scope";
import { SYNC_JOBS } from "./sync/context";
import { ANALYSIS_JOBS } from "./analysis/schedule";
import { LAUNCH_QUEUE } from "./campaigns/launch";
import { verifyClickToken, verifyOpenToken, verifyUnsubscribeToken } from "./messaging/token";
import { receiveWebhook as dispatchWebhook, type DispatchOptions } from "./webhooks/dispatch.server";
import { combineWebhookHandlers, type WebhookContext, type WebhookHandlers } from "./webhooks/handlers.server";
import {
  appHandlers,
  ensureShop as ensureShopWith,
  onAuthenticated as onAuthenticatedWith,
  type AuthenticatedShop,
  type InstallDeps,
} from "./install.server";
import { createComplianceHandlers } from "./compliance.server";
import { createSyncFeature } from "./sync/feature";
import { createMessaging, createMessagingFeature } from "./messaging/feature";
import { createAnalysisFeature } from "./analysis/feature";
import { createCampaignsFeature } from "./campaigns/feature";
import { createOutreachFeature } from "./outreach/feature";
import { createPointsDeps, createPointsFeature } from "./points/feature";

/**
 * The composition root (docs/ARCHITECTURE.md, docs/decisions/004-feature-seams.md): the only file
 * that names every feature. It builds the infrastructure once — database, job queue, Shopify
 * Admin-client factory, clock, mailer, environment — creates each feature from it, and registers
 * their jobs, hooks and webhook handlers. Infrastructure modules (db.server, shopify.server,
 * shopify/admin-client.server, jobs/*, messaging/mail-transport.server) import no feature, and no
 * feature imports this file: routes and the server entry do.
 */

declare global {
  var __winbackQueue: JobQueue | undefined;
  var __winbackWorkersStarted: boolean | undefined;
}

/**
 * The queue is created on first use (its implementation depends on DATABASE_URL, and pg-boss's
 * queues are created from the job definitions below); features hold this sending handle.
 */
const queue: Pick<JobQueue, "send"> = {
  // Outside the request's shop scope (ADR 089): the in-process runner it may wake would inherit it.
  send: (name, payload, opts) => runUnscoped(() => jobQueue().send(name, payload, opts)),
};

export const appContext: AppContext = {
  db: database,
  queue,
  adminClient: adminClientForShop,
  now: () => new Date(),
  env,
  mailer: mailTransport,
};

/** Services other features use: the messenger, Flow triggers, message counts, unsubscribe wiring. */
export const messaging = createMessaging(appContext);
const campaigns = createCampaignsFeature(appContext, messaging);
export const campaignDeps = campaigns.deps;
export const pointsDeps = createPointsDeps(appContext, messaging);

/** Product features after the order sync: each brings its jobs and hooks (app/jobs/feature.ts). */
export const features: Feature[] = [
  createAnalysisFeature(appContext),
  campaigns,
  createOutreachFeature(appContext),
  createPointsFeature(pointsDeps),
  createMessagingFeature(appContext),
];

/** The order sync: its steps call the features' hooks (app/sync/feature.ts). */
const sync = createSyncFeature(appContext, {
  onSyncCompleted: (shop) => runFeatureHooks(features, "onSyncCompleted", shop),
  onOrderChanged: (event) => runFeatureHooks(features, "onOrderChanged", event),
  // In the order's own transaction: the first failure aborts it (no point running the others).
  onOrdersWritten: async (tx, shop, customerIds) => {
    for (const f of features) await f.onOrdersWritten?.(tx, shop, customerIds);
  },
});

/**
 * Jobs that keep the unscoped system Sql (ADR 098); every other job runs confined to its payload's
 * shop (app/jobs/scope.ts). Each of these acts for one shop too, but does bulk work that the scoped
 * role would do slower (COPY through a temp table) or not at all (ANALYZE of a table it does not own).
 */
const SYSTEM_JOBS = new Map<string, string>([
  [SYNC_JOBS.start, "the sync chain loads by COPY and ANALYZEs Order (skipped for a non-owner role)"],
  [SYNC_JOBS.poll, "the sync chain loads by COPY and ANALYZEs Order (skipped for a non-owner role)"],
  [
    SYNC_JOBS.ingest,
    "COPY straight into Order/OrderLine (under RLS it needs a temp table, an extra pass over millions of rows) and ANALYZE of Order",
  ],
  [SYNC_JOBS.delta, "the sync chain loads by COPY and ANALYZEs Order (skipped for a non-owner role)"],
  [ANALYSIS_JOBS.run, "creates, loads (COPY) and indexes its own CustomerScore partition and swaps it in (DDL, ADR 106)"],
  [ANALYSIS_JOBS.daily, "runs the analysis inline: its CustomerScore partition (DDL, ADR 106)"],
  [LAUNCH_QUEUE, "ANALYZE of CampaignMember/CampaignTouch after the snapshot (a non-owner's ANALYZE is skipped)"],
]);

export const jobDefinitions: JobDefinition[] = confineJobs([...sync.jobs, ...features.flatMap((f) => f.jobs ?? [])], SYSTEM_JOBS);

/** Called with the shop domain after each authentication: the first sync, then each feature's afterInstall. */
export const afterInstallHooks: Array<(shop: string) => Promise<void>> = [
  ...[sync, ...features].flatMap((f) => (f.afterInstall ? [f.afterInstall] : [])),
];

const install: InstallDeps = { db: database, afterInstall: afterInstallHooks, now: appContext.now };
export const onAuthenticated = (input: AuthenticatedShop) => onAuthenticatedWith(install, input);
export const ensureShop = (input: AuthenticatedShop) => ensureShopWith(install, input);
// shopify.server's afterAuth hook (it cannot import this file: this file imports it).
setAfterAuthHandler(onAuthenticated);

/** Every webhook topic the app handles, from install, compliance and the sync. */
/** Every feature's compliance hooks, the sync's first (app/compliance.server.ts, ADR 076). */
export const complianceParts: Feature[] = [sync, ...features];

/**
 * Topics whose handler works beyond the shop's own rows, so it keeps the unscoped Sql (ADR 089):
 * shop/redact deletes the shop's jobs from the Job table, which has no shop column.
 */
const UNSCOPED_TOPICS = new Set(["SHOP_REDACT"]);

/** Each handler with every query confined to the delivering shop (row-level security, ADR 089). */
function confineToShop(handlers: WebhookHandlers): WebhookHandlers {
  return Object.fromEntries(
    Object.entries(handlers).map(([topic, handler]) => [
      topic,
      UNSCOPED_TOPICS.has(topic) ? handler : (ctx: WebhookContext) => runForShop(ctx.shop, () => handler(ctx)),
    ]),
  );
}

export const webhookHandlers = confineToShop(
  combineWebhookHandlers(appHandlers, createComplianceHandlers(complianceParts), sync.webhookHandlers),
);

/**
 * Runs a loader's or action's work with every query confined to the session's shop (ADR 089):
 * `forShop(session.shop, () => loadX(appContext, session.shop))`.
 */
export const forShop = runForShop;

type AdminAuth = Awaited<ReturnType<typeof authenticate.admin>>;

/**
 * An admin loader's or action's work, authenticated and then confined to the session's shop
 * (ADR 098): `adminScope(request, ({ session }) => loadX(appContext, session.shop))`. Routes call
 * this instead of authenticate.admin (test/unit/route-scope.test.ts holds them to it).
 */
export async function adminScope<T>(request: Request, fn: (auth: AdminAuth) => Promise<T>): Promise<T> {
  const auth = await authenticate.admin(request);
  return runForShop(auth.session.shop, () => fn(auth));
}

/**
 * An app proxy request's work, confined to the shop Shopify signed it for: the `shop` query
 * parameter is covered by the proxy signature that authenticate.public.appProxy verifies.
 */
export async function proxyScope<T>(request: Request, fn: (shop: string) => Promise<T>): Promise<T> {
  await authenticate.public.appProxy(request);
  const shop = new URL(request.url).searchParams.get("shop") ?? "";
  return runForShop(shop, () => fn(shop));
}

const TOKEN_VERIFIERS = { click: verifyClickToken, open: verifyOpenToken, unsubscribe: verifyUnsubscribeToken };

/**
 * A signed link's work (click, open pixel, unsubscribe), confined to the shop inside the token once
 * its signature verified. A token that does not verify runs fn unscoped: fn verifies it again and
 * answers its own error before any query, so the customer sees the same page either way.
 */
export function tokenScope<T>(kind: keyof typeof TOKEN_VERIFIERS, token: string, fn: () => Promise<T>): Promise<T> {
  let shop: string;
  try {
    shop = TOKEN_VERIFIERS[kind](env().SHOPIFY_API_SECRET, token).shop;
  } catch {
    return fn();
  }
  return runForShop(shop, fn);
}

/** The one webhook entry every webhook route uses (app/webhooks/dispatch.server.ts). */
export function receiveWebhook(request: Request, options: Partial<DispatchOptions> = {}): Promise<Response> {
  return dispatchWebhook(request, { handlers: webhookHandlers, ...options });
}

/** Unsubscribe and feedback routes. */
export const suppressDeps = () => messaging.suppressDeps();

export function jobQueue(): JobQueue {
  globalThis.__winbackQueue ??= createJobQueue(database, env(), jobDefinitions);
  return globalThis.__winbackQueue;
}

/** Starts the job runner with the server process (RUN_WORKERS=false turns it off for web-only instances). */
export function startBackgroundWork() {
  if (globalThis.__winbackWorkersStarted || !env().RUN_WORKERS) return;
  globalThis.__winbackWorkersStarted = true;
  void database
    .ready()
    .then(() => jobQueue().start())
    .catch((e) => console.error("[jobs] could not start", e));
}
