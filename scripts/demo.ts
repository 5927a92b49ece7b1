// `npm run demo`: the whole product on one machine, no Shopify account needed.
// Starts the Shopify emulator with a seeded demo shop, builds and serves the app against it
// (embedded PGlite database under .data/demo), installs the app on the shop and prints the
// admin-frame URL. Ctrl-C stops everything.
import { parseArgs } from "node:util";
import { rmSync } from "node:fs";
import path from "node:path";
import { buildApp, startAppServer, ROOT } from "../test/support/app-server";
import { startEmulator } from "../test/shopify-emulator";
import { startMailSink } from "../test/messaging/mail-sink";
import { emulatorAppEnv } from "../test/support/embedded";
import { DEMO_DEFAULTS } from "./demo-defaults";

const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "3000" },
    "emulator-port": { type: "string", default: "4100" },
    shop: { type: "string", default: DEMO_DEFAULTS.shop },
    customers: { type: "string", default: String(DEMO_DEFAULTS.customers) },
    years: { type: "string", default: String(DEMO_DEFAULTS.years) },
    seed: { type: "string", default: String(DEMO_DEFAULTS.seed) },
    "no-build": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (args.help) {
  console.log(`npm run demo -- [options]
  --port N            app port (default 3000, or $PORT)
  --emulator-port N   Shopify emulator port (default 4100)
  --shop DOMAIN       demo shop (default winback-demo.myshopify.com)
  --customers N       customers in the generated shop (default 3000)
  --years N           years of order history (default 4)
  --seed N            generator seed: the same seed gives the same shop (default 42)
  --no-build          serve the existing build/ instead of building
Environment: DATA_DIR (default .data/demo), DATABASE_URL (postgres:// to use PostgreSQL), SMTP_URL (instead of the local mail sink).`);
  process.exit(0);
}

const API_KEY = process.env.SHOPIFY_API_KEY ?? "winback-demo-key";
const API_SECRET = process.env.SHOPIFY_API_SECRET ?? "winback-demo-secret";
const appUrl = `http://localhost:${args.port}`;
const shop = args.shop!;

console.log(`Starting the Shopify emulator with ${shop} (${args.customers} customers, ${args.years} years of orders)…`);
const emulator = await startEmulator({ port: Number(args["emulator-port"]), apiKey: API_KEY, apiSecret: API_SECRET, appUrl });
await emulator.addShop(shop, { seed: Number(args.seed), customers: Number(args.customers), years: Number(args.years) });

// Campaign touches and points reminders go to a local mail sink: each message is printed and kept
// as an .eml file, with its one-click unsubscribe link.
const dataDir = process.env.DATA_DIR ?? path.join(ROOT, ".data/demo");
// The emulator keeps nothing between runs, so neither does the demo's own database: an app that
// remembered a sync (or metafields it wrote) into a shop that no longer has them would show a stale
// install. A DATA_DIR you chose is left alone.
if (!process.env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
const mail = process.env.SMTP_URL ? null : await startMailSink({ dir: path.join(dataDir, "mail"), log: (l) => console.log(`[mail] ${l}`) });

if (!args["no-build"]) {
  console.log("Building the app…");
  buildApp({ force: true });
}

console.log("Starting the app…");
const app = await startAppServer({
  port: Number(args.port),
  env: {
    ...emulatorAppEnv(emulator, { apiKey: API_KEY, apiSecret: API_SECRET, appUrl }),
    DATA_DIR: dataDir,
    SMTP_URL: process.env.SMTP_URL ?? mail!.smtpUrl,
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  },
});
process.on("exit", () => app.process.kill());

// Installing = the first embedded load: the admin hands the app a session token, the app exchanges
// it for an offline token, records the shop and starts the order sync.
const host = Buffer.from(`admin.shopify.com/store/${shop.replace(".myshopify.com", "")}`).toString("base64url");
const install = await fetch(`${appUrl}/app?embedded=1&shop=${shop}&host=${host}&id_token=${emulator.mintSessionToken(shop)}`, {
  headers: { "User-Agent": "Mozilla/5.0 (winback demo installer)" },
});
if (install.status !== 200) {
  console.error(`Install failed: HTTP ${install.status}\n${app.logs.join("")}`);
  process.exit(1);
}

// A shopper whose points from an order ~355 days ago expire within the banner's window, to show the
// storefront banner (points expire 365 days after they were earned by default). The order is worth at
// least one reward (100 points, a point per unit of currency by default), so the banner offers Redeem.
function shopperWithPointsExpiringSoon(): number | null {
  const s = emulator.shop(shop);
  const day = 86_400_000;
  for (let i = s.orderCount() - 1; i >= 0; i--) {
    const v = s.orderView(i);
    const age = (Date.now() - Date.parse(v.processedAt)) / day;
    // expires in 3 to 13 days: inside the banner's default 14-day window
    if (age < 352) continue;
    if (age > 362) break;
    if (!v.test && !v.cancelledAt && v._customerIdx >= 0 && v._currentCents >= 10_000) return s.customerLegacyId(v._customerIdx);
  }
  return null;
}
const shopper = shopperWithPointsExpiringSoon();

console.log(`
Winback is running.
  Admin frame (open this):  ${emulator.adminUrl(shop)}
  App:                      ${appUrl}
  Emulator inspector:       ${emulator.url}/__emulator/shops/${shop}
  Theme editor (app embeds): ${emulator.url}/${shop}/admin/themes/current/editor?context=apps&activateAppId=${API_KEY}/storefront-visits
  Storefront, logged in as a shopper (emulator-only login): ${emulator.url}/${shop}/account/login?customer=${shopper ?? emulator.shop(shop).customerLegacyId(0)}&return_to=/${shop}/storefront
  Mail:                     ${mail ? `local sink ${mail.smtpUrl}, messages in ${path.join(dataDir, "mail")}` : process.env.SMTP_URL}
Nothing reaches the demo's customers until you turn it on: points (the Points page; choose that
past orders earn, and the storefront shows this shopper's banner), programs (Programs) or a campaign.
The storefront shows the app's embeds only once activated and saved in the theme editor, as on
Shopify: "points-expiry-banner" (the banner) and "storefront-visits" (reports a logged-in shopper's
visit; the emulated shop does not require cookie consent, so analytics is allowed). An email's
link leads to https://<shop>/…, which does not resolve outside the tests: click it (the click is
recorded), then open the storefront logged in as that customer within 30 minutes, and the
customer's profile shows the message as "Visited".
After launching a campaign, "Simulate 30 days of shoppers" in the admin frame's sidebar lets the
demo's shoppers react, so the campaign page can measure reactivation against the holdout.
Press Ctrl-C to stop.`);

const shutdown = async () => {
  await app.stop();
  await emulator.stop();
  await mail?.close();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
