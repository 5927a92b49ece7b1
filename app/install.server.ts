import { z } from "zod";
import type { Database } from "./db/open";
import { parseOrThrow } from "./lib/parse";
import { remixAdminClient } from "./shopify/graphql-client";
import { fetchShopOverview } from "./shopify/shop";
import type { WebhookHandler } from "./webhooks/handlers.server";
import { assertBodyShop } from "./webhooks/boundary";

interface GraphqlCapable {
  graphql(query: string, opts?: { variables?: Record<string, unknown> }): Promise<Response>;
}

export interface InstallDeps {
  db: Database;
  /** Run in order after the shop's facts are stored (first sync, features' afterInstall). */
  afterInstall: ReadonlyArray<(shop: string) => Promise<void>>;
  now?: () => Date;
}

export interface AuthenticatedShop {
  shop: string;
  scope?: string;
  admin: GraphqlCapable;
}

/**
 * Runs after every token exchange (install, reinstall, token refresh) and whenever ensureShop finds
 * the shop unfinished: keep the shop's facts current and make sure the first order sync is under
 * way, without the merchant clicking anything. Idempotent. `initializedAt` is written last, so a
 * failure anywhere (one 503 from Shopify) leaves it unset and the next authenticated load finishes
 * the job (ensureShop).
 */
export async function onAuthenticated(deps: InstallDeps, { shop, scope, admin }: AuthenticatedShop) {
  const { db } = deps;
  await db.ready();
  const s = await fetchShopOverview(remixAdminClient(shop, admin));
  const facts = { name: s.name, currencyCode: s.currencyCode, ianaTimezone: s.ianaTimezone, email: s.email ?? null, scopes: scope ?? null };
  await db.prisma.shop.upsert({
    where: { domain: shop },
    create: { domain: shop, ...facts },
    // Unset until the hooks below ran again (a reinstall whose hooks fail is finished by ensureShop).
    update: { ...facts, uninstalledAt: null, initializedAt: null },
  });
  for (const hook of deps.afterInstall) await hook(shop);
  await db.prisma.shop.update({ where: { domain: shop }, data: { initializedAt: deps.now?.() ?? new Date() } });
}

/**
 * On every authenticated admin load: one indexed read when all is well; otherwise (no Shop row,
 * a reinstall, or an earlier initialisation that failed half way — the library stores the offline
 * session before its afterAuth hook runs, so a failed hook is never retried by the library)
 * initialise now. A failure here is logged, not thrown: the page still loads, and the next load
 * tries again.
 */
export async function ensureShop(deps: InstallDeps, input: AuthenticatedShop): Promise<"ready" | "initialized" | "failed"> {
  await deps.db.ready();
  const rows = await deps.db.sql.query<{ ok: boolean }>(
    `SELECT ("initializedAt" IS NOT NULL AND "uninstalledAt" IS NULL) AS ok FROM "Shop" WHERE domain = $1`,
    [input.shop],
  );
  if (rows[0]?.ok) return "ready";
  try {
    await onAuthenticated(deps, input);
    return "initialized";
  } catch (e) {
    console.error(`[install] initialising ${input.shop} failed; the next load retries`, e);
    return "failed";
  }
}

const ScopesUpdate = z.object({ current: z.array(z.string()) });
// The app/uninstalled body is the shop resource (shopify.dev webhooks reference); it names the shop.
const Uninstalled = z.object({ myshopify_domain: z.string() });

export const appHandlers: Record<string, WebhookHandler> = {
  APP_UNINSTALLED: async ({ shop, payload, db }) => {
    const p = parseOrThrow(Uninstalled, payload, "app/uninstalled");
    assertBodyShop(shop, p.myshopify_domain, "app/uninstalled");
    // Sessions go at once (the token is dead); data stays until shop/redact, 48 hours later.
    await db.prisma.session.deleteMany({ where: { shop } });
    await db.prisma.shop.updateMany({ where: { domain: shop }, data: { uninstalledAt: new Date() } });
  },
  APP_SCOPES_UPDATE: async ({ shop, payload, session, db }) => {
    const p = parseOrThrow(ScopesUpdate, payload, "app/scopes_update");
    if (session) await db.prisma.session.update({ where: { id: session.id }, data: { scope: p.current.join(",") } });
    await db.prisma.shop.updateMany({ where: { domain: shop }, data: { scopes: p.current.join(",") } });
  },
};
