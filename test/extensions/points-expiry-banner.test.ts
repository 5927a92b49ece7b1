import { describe, expect, it } from "vitest";
import {
  appEmbedAssets,
  appEmbedSchema,
  blockSettings,
  loadLocale,
  renderAppEmbed,
  type EmbedCustomer,
  type RenderAppEmbedOptions,
} from "./render-embed";

const NOW = new Date("2026-03-01T12:00:00Z");
const DAY = 86_400_000;
const usd = { currency: "USD", money_format: "${{amount}}" };
const eur = { currency: "EUR", money_format: "{{amount_with_comma_separator}} €" };

function customer(over: Partial<EmbedCustomer> & { expireInMs?: number; expiring?: number } = {}): EmbedCustomer {
  const { expireInMs = 3.5 * DAY, expiring = 250, ...rest } = over;
  return {
    id: 42,
    first_name: "Ada",
    metafields: {
      points_balance: 900,
      points_expiring: expiring,
      points_expire_at: new Date(NOW.getTime() + expireInMs),
    },
    ...rest,
  };
}

function render(over: Partial<RenderAppEmbedOptions> = {}) {
  return renderAppEmbed({ customer: customer(), now: NOW, shop: usd, ...over });
}

/** Visible text, whitespace collapsed. */
function text(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

describe("points expiry banner app embed", () => {
  it("is an app embed block targeting body with the documented settings", () => {
    const schema = appEmbedSchema();
    expect(schema.target).toBe("body");
    expect(schema.stylesheet).toBe("points-expiry-banner.css");
    expect(blockSettings()).toMatchObject({
      window_days: 14,
      show_countdown: true,
      position: "bottom",
      message: null,
      background_color: "#1F2937",
      text_color: "#FFFFFF",
      button_color: "#FDE68A",
      button_text_color: "#111827",
      points_per_reward: 100,
      reward_amount: 5,
    });
    expect(() => blockSettings({ nope: 1 })).toThrow(/unknown block setting/);
  });

  it("renders nothing for guests", () => {
    expect(render({ customer: null }).html).toBe("");
  });

  it("renders nothing when no points are expiring", () => {
    expect(render({ customer: customer({ expiring: 0 }) }).html).toBe("");
    expect(render({ customer: { id: 1, first_name: "Ada", metafields: { points_balance: 500 } } }).html).toBe("");
    expect(render({ customer: { id: 1, first_name: "Ada" } }).html).toBe("");
  });

  it("shows points, value, date, days left and a redeem form to the app proxy", () => {
    const { html, head } = render();
    expect(head).toContain('href="/extensions/points-expiry-banner/assets/points-expiry-banner.css"');
    expect(html).toContain('role="region"');
    expect(html).toContain('aria-label="Loyalty points expiry"');
    // 250 points at 100 points = 5.00 -> two whole rewards, $10.00 (what redeeming gives);
    // expires 2026-03-05 00:00 UTC -> 3.5 days -> "4 days left"
    expect(text(html)).toContain("Hi Ada");
    expect(text(html)).toContain("250 points worth $10.00 expire on March 5, 2026.");
    expect(text(html)).toContain("4 days left");
    expect(html).toContain('<time datetime="2026-03-05">');
    expect(html).toContain('action="/apps/winback/redeem"');
    expect(html).toContain('data-redeem-url="/apps/winback/redeem"');
    expect(html).toContain('data-points="250"');
    expect(html).toContain(`data-expires-at="${(NOW.getTime() + 3.5 * DAY) / 1000}"`);
    expect(html).toMatch(/<button type="submit" class="peb__redeem"[^>]*>Redeem now<\/button>/);
    expect(html).toMatch(/<button type="button" class="peb__dismiss" aria-label="Dismiss points reminder"/);
    expect(html).toContain('role="status"');
    expect(html).toMatch(/<script src="\/extensions\/points-expiry-banner\/assets\/points-expiry-banner\.js" defer><\/script>/);
  });

  it("below one whole reward: says when the points expire, shows no value and no redeem button", () => {
    const { html } = render({ customer: customer({ expiring: 60 }) });
    expect(text(html)).toContain("60 points expire on March 5, 2026.");
    expect(text(html)).not.toContain("worth");
    expect(html).not.toContain("peb__redeem");
    expect(html).not.toContain("<form");
    // exactly one reward
    expect(text(render({ customer: customer({ expiring: 100 }) }).html)).toContain("100 points worth $5.00");
  });

  it("takes the redemption rate the app published on the shop over the block's own settings", () => {
    const published = { "$app:loyalty": { reward: { points: 50, amount: 4 } } };
    // 250 points at 50 per 4.00: five rewards, $20.00 (the block's 100 per 5.00 would say $10.00)
    expect(text(render({ shop: { ...usd, metafields: published } }).html)).toContain("250 points worth $20.00");
    // below one reward at the published rate: no value, no redeem button
    expect(render({ shop: { ...usd, metafields: { "$app:loyalty": { reward: { points: 300, amount: 4 } } } } }).html).not.toContain(
      "peb__redeem",
    );
    // nothing published yet: the block's settings
    expect(text(render({ shop: { ...usd, metafields: {} } }).html)).toContain("250 points worth $10.00");
  });

  it("uses singular and the window boundary inclusively", () => {
    const oneDay = render({ customer: customer({ expireInMs: 2 * 3600_000 }) }).html;
    expect(text(oneDay)).toContain("1 day left");
    const edge = render({ customer: customer({ expireInMs: 14 * DAY }) }).html;
    expect(text(edge)).toContain("14 days left");
  });

  it("renders nothing when the expiry date is in the past", () => {
    expect(render({ customer: customer({ expireInMs: -1000 }) }).html).toBe("");
    expect(render({ customer: customer({ expireInMs: 0 }) }).html).toBe("");
  });

  it("renders nothing when the expiry date is beyond the window", () => {
    expect(render({ customer: customer({ expireInMs: 14 * DAY + 1000 }) }).html).toBe("");
    expect(render({ customer: customer({ expireInMs: 20 * DAY }) }).html).toBe("");
    // ...unless the merchant widens the window
    expect(render({ customer: customer({ expireInMs: 20 * DAY }), settings: { window_days: 30 } }).html).not.toBe("");
  });

  it("renders nothing for an unparseable expiry date", () => {
    const c = { id: 1, metafields: { points_expiring: 100, points_expire_at: "soon<script>" } };
    expect(render({ customer: c }).html).toBe("");
  });

  it("reads the metafields from the $app:loyalty namespace only", () => {
    const elsewhere = { id: 1, metafields: { loyalty: { points_expiring: 250, points_expire_at: "2026-03-03T00:00:00Z" } } };
    expect(render({ customer: elsewhere }).html).toBe("");
    const namespaced = { id: 1, metafields: { "$app:loyalty": { points_expiring: 250, points_expire_at: "2026-03-03T00:00:00Z" } } };
    expect(text(render({ customer: namespaced }).html)).toContain("250 points worth $10.00");
  });

  it("renders French strings, date format and money format for the fr locale", () => {
    const { html } = render({ locale: "fr", shop: eur, customer: customer({ first_name: "Zoé" }) });
    expect(html).toContain('aria-label="Expiration des points de fidélité"');
    expect(text(html)).toContain("Bonjour Zoé");
    expect(text(html)).toContain("250 points d’une valeur de 10,00 € expirent le 05/03/2026.");
    expect(text(html)).toContain("Plus que 4 jours");
    expect(text(html)).toContain("Utiliser maintenant");
    expect(html).toContain('data-i18n-code="Votre code de réduction : [code]"');
    expect(text(render({ locale: "fr", shop: eur, customer: customer({ expireInMs: 3600_000 }) }).html)).toContain("Plus que 1 jour");
  });

  it("renders German and Spanish strings and date formats (issue 13: the banner in the shop's language)", () => {
    const de = render({ locale: "de", shop: eur, customer: customer({ first_name: "Jonas" }) }).html;
    expect(de).toContain('aria-label="Ablauf der Treuepunkte"');
    expect(text(de)).toContain("Hallo Jonas");
    expect(text(de)).toContain("250 Punkte im Wert von 10,00 € verfallen am 05.03.2026.");
    expect(text(de)).toContain("Noch 4 Tage");
    expect(text(de)).toContain("Jetzt einlösen");
    const es = render({ locale: "es", shop: eur, customer: customer({ first_name: "Lucía", expireInMs: 3600_000 }) }).html;
    expect(text(es)).toContain("Hola Lucía");
    expect(text(es)).toContain("250 puntos por valor de 10,00 € caducan el 01/03/2026.");
    expect(text(es)).toContain("Queda 1 día");
    expect(es).toContain('data-i18n-code="Tu código de descuento: [code]"');
  });

  it("every storefront locale has every key of en.default (no English fallback shows on a French, German or Spanish storefront)", () => {
    const keys = (o: Record<string, unknown>, prefix = ""): string[] =>
      Object.entries(o).flatMap(([k, v]) =>
        v && typeof v === "object" ? keys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`],
      );
    const en = keys(loadLocale("en") as Record<string, unknown>).sort();
    for (const l of ["fr", "de", "es"] as const) expect(keys(loadLocale(l) as Record<string, unknown>).sort()).toEqual(en);
  });

  it("applies merchant settings: colours, position, message, countdown, value rate", () => {
    const { html } = render({
      settings: {
        position: "top",
        background_color: "#000000",
        text_color: "#FFFF00",
        button_color: "#FFFFFF",
        button_text_color: "#000000",
        show_countdown: false,
        message: "Use [points] points ([value]) before [date]!",
        points_per_reward: 50,
        reward_amount: 2.5,
      },
    });
    expect(html).toContain('class="peb peb--top"');
    expect(html).toContain("--peb-bg: #000000; --peb-fg: #FFFF00; --peb-btn-bg: #FFFFFF; --peb-btn-fg: #000000;");
    expect(html).not.toContain("data-peb-countdown");
    // 250 points at 50 points = 2.50 -> $12.50
    expect(text(html)).toContain("Use 250 points ($12.50) before March 5, 2026!");
  });

  it("HTML-escapes untrusted values (customer name, merchant message)", () => {
    const { html } = render({
      customer: customer({ first_name: '<img src=x onerror="alert(1)">' }),
      settings: { message: "<script>alert(2)</script> [points]" },
    });
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script>alert");
    expect(html).toMatch(/Hi &lt;img src=x onerror=(&quot;|&#34;)alert\(1\)(&quot;|&#34;)&gt;<\/span>/);
    expect(html).toContain("&lt;script&gt;alert(2)&lt;/script&gt; 250");
  });

  it("exposes the shipped assets", () => {
    const { js, css } = appEmbedAssets();
    expect(js).toContain("X-Idempotency-Key");
    expect(js).toContain("sessionStorage");
    expect(css).toContain(":focus-visible");
    expect(css).toContain("position: fixed");
  });
});
