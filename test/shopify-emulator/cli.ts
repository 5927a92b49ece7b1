// Standalone emulator with a seeded demo shop:
//   npx tsx test/shopify-emulator/cli.ts --port 4100 --shop winback-demo.myshopify.com --customers 3000 --years 4 \
//     --app-url http://localhost:3000 --api-key winback-demo-key --api-secret winback-demo-secret
import { parseArgs } from "node:util";
import { startEmulator } from "./index";

const { values: a } = parseArgs({
  options: {
    port: { type: "string", default: "4100" },
    host: { type: "string", default: "127.0.0.1" },
    shop: { type: "string", default: "winback-demo.myshopify.com" },
    seed: { type: "string", default: "42" },
    customers: { type: "string", default: "3000" },
    orders: { type: "string" },
    years: { type: "string", default: "4" },
    "app-url": { type: "string", default: process.env.SHOPIFY_APP_URL ?? "http://localhost:3000" },
    "api-key": { type: "string", default: process.env.SHOPIFY_API_KEY ?? "winback-demo-key" },
    "api-secret": { type: "string", default: process.env.SHOPIFY_API_SECRET ?? "winback-demo-secret" },
    scopes: { type: "string" },
    verbose: { type: "boolean", default: false },
  },
});

const t0 = Date.now();
const emulator = await startEmulator({
  port: Number(a.port),
  host: a.host,
  apiKey: a["api-key"]!,
  apiSecret: a["api-secret"]!,
  appUrl: a["app-url"],
  verbose: a.verbose,
  ...(a.scopes ? { scopes: a.scopes } : {}),
});
const shop = await emulator.addShop(a.shop!, {
  seed: Number(a.seed),
  years: Number(a.years),
  ...(a.orders ? { orders: Number(a.orders) } : { customers: Number(a.customers) }),
});
console.log(`Shopify emulator on ${emulator.url} (${shop.orderCount().toLocaleString("en-US")} orders, ${shop.customerCount().toLocaleString("en-US")} customers, ${Date.now() - t0} ms)
  Admin frame:   ${emulator.adminUrl(a.shop!)}
  Admin API:     ${emulator.url}/${a.shop}/admin/api/2026-10/graphql.json
  Inspector:     ${emulator.url}/__emulator/shops/${a.shop}
  App env:       SHOPIFY_ADMIN_URL_TEMPLATE=${emulator.url}/{shop} APP_BRIDGE_URL=${emulator.url}/app-bridge.js ADMIN_FRAME_ORIGINS=${emulator.url}
                 SHOPIFY_API_KEY=${a["api-key"]} SHOPIFY_API_SECRET=${a["api-secret"]} SHOPIFY_APP_URL=${a["app-url"]}`);

const stop = async () => {
  await emulator.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
