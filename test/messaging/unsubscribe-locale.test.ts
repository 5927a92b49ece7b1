import { beforeAll, describe, expect, it, vi } from "vitest";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { setAppEnv, TEST_APP } from "../support/app-env";

setAppEnv();

// The page component reads its data through Remix's hooks; here they return what the loader/action answered.
const hookData: { loader: unknown; action: unknown } = { loader: undefined, action: undefined };
vi.mock("@remix-run/react", () => ({ useLoaderData: () => hookData.loader, useActionData: () => hookData.action }));

const route = await import("../../app/routes/unsubscribe.$token");
const oneClick = await import("../../app/routes/unsubscribe.one-click.$token");
const { database } = await import("../../app/db.server");
const { createUnsubscribeToken } = await import("../../app/messaging/token");

const SHOP = "boutique-lumiere.myshopify.com";
const ctx = { context: {} };
const token = (customerId: string) => createUnsubscribeToken(TEST_APP.apiSecret, { shop: SHOP, customerId });
const url = (t: string) => `${TEST_APP.appUrl}/unsubscribe/${t}`;

async function render(data: unknown, acted?: unknown): Promise<string> {
  hookData.loader = data;
  hookData.action = acted;
  return renderToString(createElement(route.default));
}

beforeAll(async () => {
  await database.ready();
  await database.sql.query(`INSERT INTO "Shop" (domain, name, settings, "updatedAt") VALUES ($1, 'Boutique Lumière', $2::jsonb, now())`, [
    SHOP,
    JSON.stringify({ messaging: { locale: "fr", postalAddress: "12 Rue des Lilas, 75011 Paris" } }),
  ]);
  for (const id of ["701", "702"]) {
    await database.sql.query(`INSERT INTO "Customer" (shop, id, email, "emailConsent") VALUES ($1, $2, $3, 'SUBSCRIBED')`, [
      SHOP,
      id,
      `c${id}@example.com`,
    ]);
  }
});

describe("unsubscribe pages in the shop's language (a French shop)", () => {
  it("the confirmation page, its button and the result are in French", async () => {
    const t = token("701");
    const res = await route.loader({
      request: new Request(url(t), { headers: { "Accept-Language": "en-US" } }),
      params: { token: t },
      ...ctx,
    });
    const data = await res.json();
    expect(data).toEqual({ ok: true, shopName: "Boutique Lumière", done: false, locale: "fr" });
    const page = await render(data);
    expect(page).toContain("Ne plus recevoir les e-mails marketing de Boutique Lumière ?");
    expect(page).toContain("Les e-mails de commande et de livraison ne sont pas concernés.");
    expect(page).toMatch(/<button[^>]*>Se désabonner<\/button>/);
    expect(page).toContain('lang="fr"');
    expect(page).not.toContain("Unsubscribe");

    const done = await route.action({
      request: new Request(url(t), { method: "POST", body: "confirm=1", headers: { "Content-Type": "application/x-www-form-urlencoded" } }),
      params: { token: t },
      ...ctx,
    });
    const after = await render(data, await done.json());
    expect(after).toContain("Vous êtes désabonné(e)");
    expect(after).toContain("Boutique Lumière ne vous enverra plus d&#x27;e-mails marketing.");
  });

  it("the one-click answer is in French; a forged link answers in the reader's language", async () => {
    const t = token("702");
    const res = await oneClick.action({
      request: new Request(`${TEST_APP.appUrl}/unsubscribe/one-click/${t}`, { method: "POST", body: "List-Unsubscribe=One-Click" }),
      params: { token: t },
      ...ctx,
    });
    expect([res.status, await res.text()]).toEqual([200, "Désabonnement effectué."]);
    const forged = createUnsubscribeToken("not-the-secret", { shop: SHOP, customerId: "702" });
    const r = await route.loader({
      request: new Request(url(forged), { headers: { "Accept-Language": "de-DE,de;q=0.9,en;q=0.8" } }),
      params: { token: forged },
      ...ctx,
    });
    expect(r.status).toBe(403);
    const page = await render(await r.json());
    expect(page).toContain("Dieser Link funktioniert nicht");
    expect(page).toContain("Dieser Abmeldelink ist ungültig.");
  });
});
