import { beforeAll, describe, expect, it } from "vitest";
import { appRequest as req, setAppEnv, settle, TEST_APP } from "../support/app-env";

// No SMTP_URL: the dashboard and the settings page must say so.
setAppEnv({ SMTP_URL: "" });

const { loader, action } = await import("../../app/routes/app.settings.email");
const { database } = await import("../../app/db.server");
const { env } = await import("../../app/env.server");
const { loadMessagingSettings } = await import("../../app/messaging/messenger");

const SHOP = TEST_APP.shop;
const ctx = { params: {}, context: {} };

const FORM = {
  senderName: "Fern & Fig",
  replyTo: "hello@fernfig.example",
  postalAddress: "Fern & Fig\n12 Rue des Lilas\n75011 Paris\nFrance",
  locale: "fr",
  contactCapPer30Days: "3",
  "winback_standard.first.subject": "{first_name}, {offer} pour vous",
  "winback_standard.first.intro": "",
  "winback_standard.first.closing": "",
};

beforeAll(async () => {
  await database.ready();
  await database.prisma.session.create({
    data: {
      id: `offline_${SHOP}`,
      shop: SHOP,
      state: "s",
      isOnline: false,
      scope: env().SCOPES,
      accessToken: "shpat_test",
      expires: new Date(Date.now() + 86_400_000),
    },
  });
  // Defaults already read from Shopify: the loader does not call the Admin API.
  await database.sql.query(`INSERT INTO "Shop" (domain, name, settings, "updatedAt") VALUES ($1, 'Fern & Fig', $2::jsonb, now())`, [
    SHOP,
    JSON.stringify({ messaging: { defaultsFromShopifyAt: "2026-12-01T00:00:00.000Z" } }),
  ]);
});

describe("email settings page (app/routes/app.settings.email.tsx)", () => {
  it("shows that no mail server is configured and that the postal address is missing", async () => {
    const res = await settle(loader({ request: req("/app/settings/email"), ...ctx }));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.status).toMatchObject({ mailServer: false, postalAddress: false });
    expect(body.settings).toMatchObject({ locale: "en", contactCapPer30Days: 6, postalAddress: "" });
    // The visits embed is off until the merchant saves it on in the theme editor: the page links there.
    expect(body.visitsEmbedUrl).toMatch(
      new RegExp(
        `^https://${SHOP.replace(/\./g, "\\.")}/admin/themes/current/editor\\?context=apps&activateAppId=[^/]+/storefront-visits$`,
      ),
    );
  });

  it("refuses to save without a postal address and says why, next to the field", async () => {
    const res = await settle(
      action({ request: req("/app/settings/email", { method: "POST", form: { ...FORM, postalAddress: "  " } }), ...ctx }),
    );
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body).toMatchObject({ ok: false, fieldErrors: { postalAddress: expect.stringContaining("postal address") } });
    expect((await loadMessagingSettings(database.sql, SHOP)).postalAddress).toBe("");
  });

  it("refuses a reply-to that is not exactly one address and a cap out of range", async () => {
    const res = await settle(
      action({
        request: req("/app/settings/email", { method: "POST", form: { ...FORM, replyTo: "a@x.com, b@y.com", contactCapPer30Days: "0" } }),
        ...ctx,
      }),
    );
    const body = await res.json();
    expect(body.fieldErrors).toMatchObject({ replyTo: "Enter exactly one email address", contactCapPer30Days: "At least 1" });
  });

  it("saves identity, language, cap and the merchant's subject, keeping the Shopify-default marker", async () => {
    const res = await settle(action({ request: req("/app/settings/email", { method: "POST", form: FORM }), ...ctx }));
    expect(res.status).toBe(200);
    const s = await loadMessagingSettings(database.sql, SHOP);
    expect(s).toMatchObject({
      senderName: "Fern & Fig",
      replyTo: "hello@fernfig.example",
      postalAddress: "Fern & Fig\n12 Rue des Lilas\n75011 Paris\nFrance",
      postalAddressSource: "merchant",
      locale: "fr",
      contactCapPer30Days: 3,
      defaultsFromShopifyAt: "2026-12-01T00:00:00.000Z",
    });
    expect(s.templates["winback_standard.first"]).toEqual({ subject: "{first_name}, {offer} pour vous", intro: "", closing: "" });
    expect(s.templates["winback_vip.first"]).toBeUndefined();
    const page = await (await settle(loader({ request: req("/app/settings/email"), ...ctx }))).json();
    expect(page.status).toMatchObject({ mailServer: false, postalAddress: true });
  });
});
