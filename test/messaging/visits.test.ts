import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signProxyQuery } from "../shopify-emulator/modules/storefront";
import { setAppEnv, TEST_APP } from "../support/app-env";
import { parseMail, startSmtp } from "./support";

/**
 * Storefront visits through the production wiring (ADR 102): a Day-0 email's tracked link, its
 * click redirect (which adds `wb=<message id>`), then the theme embed's POST to the app proxy
 * route /proxy/visit with Shopify's signed query (signature as Shopify computes it:
 * shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies, sorted
 * `key=value` pairs, HMAC-SHA256 hex with the app secret; the emulator's signProxyQuery).
 */
const smtp = await startSmtp();
setAppEnv({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: "Fern & Fig <hello@fernfig.example>" });
afterAll(() => smtp.close());

const { loader: clickLoader } = await import("../../app/routes/t.$token");
const { action: visitAction, loader: visitLoader } = await import("../../app/routes/proxy.visit");
const { database } = await import("../../app/db.server");
const { messaging } = await import("../../app/app.server");
const { customerVisits, campaignVisits, messagesOfCustomer } = await import("../../app/messaging/store");

const SHOP = TEST_APP.shop;
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const ctx = { params: {}, context: {} };

/** A request as Shopify's app proxy forwards it: the storefront's body, the signed query. */
function proxied(customerId: string, body: unknown, opts: { forge?: boolean; method?: string } = {}): Request {
  const q = new URLSearchParams({
    shop: SHOP,
    logged_in_customer_id: customerId,
    path_prefix: "/apps/winback",
    timestamp: String(Math.floor(Date.now() / 1000)),
  });
  q.set("signature", opts.forge ? "0".repeat(64) : signProxyQuery(q, TEST_APP.apiSecret));
  return new Request(`${TEST_APP.appUrl}/proxy/visit?${q}`, {
    method: opts.method ?? "POST",
    headers: { "Content-Type": "application/json" },
    ...(opts.method === "GET" ? {} : { body: JSON.stringify(body) }),
  });
}

async function answer(p: Promise<Response>): Promise<Response> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof Response) return e;
    throw e;
  }
}

const visits = () =>
  database.sql.query<{ customerId: string; messageLogId: string | null; campaignId: string | null; path: string }>(
    `SELECT "customerId"::text AS "customerId", "messageLogId", "campaignId", path FROM "StorefrontVisit" WHERE shop = $1 ORDER BY at, id`,
    [SHOP],
  );

let messageId = "";
let landing: URL;
beforeAll(async () => {
  await database.ready();
  await database.sql.query(
    `INSERT INTO "Shop" (domain, name, settings, "updatedAt") VALUES ($1, 'Fern & Fig', $2::jsonb, now()) ON CONFLICT (domain) DO NOTHING`,
    [SHOP, JSON.stringify({ messaging: { postalAddress: "Fern & Fig, Hauptstraße 1, 10115 Berlin" } })],
  );
  await database.sql.query(
    `INSERT INTO "Customer" (shop, id, email, "emailConsent") VALUES ($1, '711', 'c711@example.com', 'SUBSCRIBED')`,
    [SHOP],
  );
  const out = await messaging.messenger().sendEmail({
    shop: SHOP,
    customerId: "711",
    kind: "winback_standard",
    dedupeKey: "campaign:cmp-V:711:day0",
    campaignId: "cmp-V",
    content: {
      template: "winback_standard",
      stage: "first",
      discount: { percent: 10 },
      code: "WB-V",
      endsAt: "2026-12-30T00:00:00Z",
      link: `https://${SHOP}/discount/WB-V`,
    },
  });
  expect(out.status).toBe("sent");
  messageId = (await messagesOfCustomer(database.sql, SHOP, "711"))[0]!.id;
  const token = new RegExp(`https://winback\\.test/t/([A-Za-z0-9_.-]+)`).exec(parseMail(smtp.mails[0]!.raw).html)![1]!;
  const res = await clickLoader({
    request: new Request(`${TEST_APP.appUrl}/t/${token}`, { headers: { "User-Agent": CHROME } }),
    params: { token },
    context: {},
  });
  landing = new URL(res.headers.get("Location")!);
});

describe("storefront visits through the app proxy", () => {
  it("the click redirect carries the message reference the landing page sends back", () => {
    expect(landing.searchParams.get("wb")).toBe(messageId);
    expect(landing.searchParams.get("utm_source")).toBe("winback");
  });

  it("a forged signature is a 400 and records nothing; GET is 405", async () => {
    const forged = await answer(visitAction({ request: proxied("711", { path: "/" }, { forge: true }), ...ctx }));
    expect(forged.status).toBe(400);
    expect(await visits()).toEqual([]);
    const get = await answer(visitLoader({ request: proxied("711", null, { method: "GET" }), ...ctx }));
    expect(get.status).toBe(405);
  });

  it("a guest (empty logged_in_customer_id) is ignored: 204, nothing stored", async () => {
    const res = await answer(visitAction({ request: proxied("", { path: "/collections/all" }), ...ctx }));
    expect(res.status).toBe(204);
    expect(await visits()).toEqual([]);
  });

  it("a body that is not a path (query string, unknown field, customer id in the body) is a 400 and records nothing", async () => {
    for (const body of [{ path: "/x?email=a@b.c" }, { path: "/", customerId: "999" }, { path: "no-slash" }, "nope"]) {
      const res = await answer(visitAction({ request: proxied("711", body), ...ctx }));
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    expect(await visits()).toEqual([]);
  });

  it("records the landing visit tied to the message and campaign, dedupes page views for 30 minutes, and rolls up", async () => {
    const first = await answer(
      visitAction({ request: proxied("711", { path: "/collections/all", wb: landing.searchParams.get("wb") }), ...ctx }),
    );
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ recorded: true, messageLogId: messageId });
    // The next page views of the same visit: nothing new (with or without wb).
    for (const body of [{ path: "/products/mug" }, { path: "/cart", wb: messageId }]) {
      const again = await answer(visitAction({ request: proxied("711", body), ...ctx }));
      expect(await again.json()).toMatchObject({ recorded: false });
    }
    expect(await visits()).toEqual([{ customerId: "711", messageLogId: messageId, campaignId: "cmp-V", path: "/collections/all" }]);

    // Another customer sending 711's message reference does not get tied to it (no click of theirs either).
    const other = await answer(visitAction({ request: proxied("712", { path: "/", wb: messageId }), ...ctx }));
    expect(await other.json()).toMatchObject({ recorded: true, messageLogId: null });

    const rollup = await customerVisits(database.sql, SHOP, "711", new Date());
    expect(rollup).toMatchObject({ visits30d: 1, total: 1, fromMessages: 1 });
    expect(rollup.lastVisitAt).toBeInstanceOf(Date);
    expect(await campaignVisits(database.sql, "cmp-V")).toEqual({ visits: 1, visitors: 1 });
    expect((await messagesOfCustomer(database.sql, SHOP, "711"))[0]).toMatchObject({ id: messageId, clicked: true, visited: true });
  });
});
