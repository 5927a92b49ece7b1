import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setAppEnv, TEST_APP } from "../support/app-env";
import { parseMail, startSmtp } from "./support";

// The production wiring (app.server → messaging feature) sends tracked email and serves /t and /o.
const smtp = await startSmtp();
setAppEnv({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: "Fern & Fig <hello@fernfig.example>" });
afterAll(() => smtp.close());

const { loader: clickLoader } = await import("../../app/routes/t.$token");
const { loader: openLoader } = await import("../../app/routes/o.$token");
const { database } = await import("../../app/db.server");
const { messaging } = await import("../../app/app.server");

const SHOP = TEST_APP.shop;
const CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36";
const ctx = { context: {} };
const req = (path: string, ua: string) => new Request(`${TEST_APP.appUrl}${path}`, { headers: { "User-Agent": ua } });
const engagement = () => database.sql.query<any>(`SELECT kind, machine FROM "EmailEngagement" WHERE shop = $1 ORDER BY at, kind`, [SHOP]);

let html = "";
beforeAll(async () => {
  await database.ready();
  await database.sql.query(
    `INSERT INTO "Shop" (domain, name, settings, "updatedAt") VALUES ($1, 'Fern & Fig', $2::jsonb, now()) ON CONFLICT (domain) DO NOTHING`,
    [SHOP, JSON.stringify({ messaging: { postalAddress: "Fern & Fig, Hauptstraße 1, 10115 Berlin" } })],
  );
  await database.sql.query(
    `INSERT INTO "Customer" (shop, id, email, "emailConsent") VALUES ($1, '701', 'c701@example.com', 'SUBSCRIBED')`,
    [SHOP],
  );
  const out = await messaging.messenger().sendEmail({
    shop: SHOP,
    customerId: "701",
    kind: "winback_standard",
    dedupeKey: "campaign:cmp-R:701:day0",
    campaignId: "cmp-R",
    content: {
      template: "winback_standard",
      stage: "first",
      discount: { percent: 10 },
      code: "WB-R",
      endsAt: "2026-12-30T00:00:00Z",
      link: `https://${SHOP}/discount/WB-R`,
    },
  });
  expect(out.status).toBe("sent");
  html = parseMail(smtp.mails[0]!.raw).html;
});

const tokenIn = (route: "t" | "o") => new RegExp(`https://winback\\.test/${route}/([A-Za-z0-9_.-]+)`).exec(html)![1]!;

describe("tracking routes (production wiring)", () => {
  it("the app's email is tracked: its discount link is a /t redirect and it carries an /o pixel", () => {
    expect(html).not.toContain(`https://${SHOP}/discount/WB-R`);
    expect(tokenIn("t")).toMatch(/^t1\./);
    expect(tokenIn("o")).toMatch(/^o1\./);
  });

  it("GET /o/:token answers a no-store 1x1 GIF and records the open; a bare Mozilla/5.0 (Apple MPP) is a machine open", async () => {
    const token = tokenIn("o");
    // Wait out the seconds-after-send window so a browser's load counts as a person's.
    await new Promise((r) => setTimeout(r, 5_200));
    const res = await openLoader({ request: req(`/o/${token}`, CHROME), params: { token }, ...ctx });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("image/gif");
    expect(res.headers.get("Cache-Control")).toMatch(/no-store/);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.subarray(0, 6).toString("latin1")).toBe("GIF89a");
    expect(body.readUInt16LE(6)).toBe(1);
    expect(body.readUInt16LE(8)).toBe(1);
    await openLoader({ request: req(`/o/${token}`, "Mozilla/5.0"), params: { token }, ...ctx });
    expect(await engagement()).toEqual([
      { kind: "open", machine: false },
      { kind: "open", machine: true },
    ]);
  }, 20_000);

  it("GET /t/:token redirects (302) to the signed target with UTM; a forged token is a 400 and records nothing", async () => {
    const token = tokenIn("t");
    const res = await clickLoader({ request: req(`/t/${token}`, CHROME), params: { token }, ...ctx });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get("Location")!);
    expect(`${to.origin}${to.pathname}`).toBe(`https://${SHOP}/discount/WB-R`);
    expect(to.searchParams.get("utm_medium")).toBe("email");
    const before = (await engagement()).length;
    const forged = `${token.slice(0, token.lastIndexOf(".") + 1)}${"A".repeat(43)}`;
    const bad = await clickLoader({ request: req(`/t/${forged}`, CHROME), params: { token: forged }, ...ctx });
    expect(bad.status).toBe(400);
    expect(bad.headers.get("Location")).toBeNull();
    expect(await bad.text()).toMatch(/not valid/);
    expect(await engagement()).toHaveLength(before);
    expect((await messaging.messageCounts("cmp-R")).uniqueClicks).toBe(1);
  });
});
