// Child process of bench/scale.ts: hosts the Shopify emulator with the big shop, so the emulator's
// CPU (bulk exports, GraphQL, webhooks) is not on the bench's event loop, whose clock measures
// latencies. Prints {url, customers, orders, prepareMs} as one JSON line once the shop exists, then
// serves until SIGTERM.
//
//   node --import tsx bench/scale/emulator-host.ts <customers> <ordersPerCustomer> <apiKey> <apiSecret> <appUrl>
//
// The generator draws each shopper's own purchase history (about 2 orders per customer over 4 years
// on this population, test/shopify-emulator/generator.ts); a shop of N customers with ~k orders each
// is made by drawing the histories of enough shoppers for N·k orders and folding them onto N customer
// ids (shopper i becomes customer i mod N). Each customer then holds the interleaved histories of
// about k/2 shoppers: the order stream, order values, guests, refunds and line items are the
// generator's own; only the per-customer counts are denser.
import { generateShop, startEmulator } from "../../test/shopify-emulator";
import { FLAG_TEST } from "../../test/shopify-emulator/generator";

const [customersArg, opcArg, apiKey, apiSecret, appUrl] = process.argv.slice(2);
const N = Number(customersArg);
const perCustomer = Number(opcArg);
if (!(N > 0) || !(perCustomer > 0) || !apiKey || !apiSecret || !appUrl)
  throw new Error("usage: emulator-host.ts <customers> <ordersPerCustomer> <apiKey> <apiSecret> <appUrl>");
const SCALE_SHOP = "scale-bench.myshopify.com";

const t0 = Date.now();
// orders: the generator's target includes ~8% guest checkouts.
const seed = generateShop(SCALE_SHOP, { seed: 7, orders: Math.round(N * perCustomer), years: 4 });
const cs = seed.customers;
const os = seed.orders;
if (cs.length > N) {
  for (let i = 0; i < os.length; i++) if (os.customer[i]! >= N) os.customer[i] = os.customer[i]! % N;
  for (const col of [
    cs.createdAt,
    cs.updatedAt,
    cs.emailState,
    cs.emailOptIn,
    cs.emailConsentAt,
    cs.smsState,
    cs.smsConsentAt,
    cs.hasEmail,
    cs.hasPhone,
    cs.ordersCount,
    cs.spentCents,
    cs.tags,
  ] as unknown[][])
    col.length = N;
  cs.length = N;
  // The generator's aggregates (and its VIP tag, above $1,000 spent) again, over the folded ids.
  cs.ordersCount.fill(0);
  cs.spentCents.fill(0);
  for (let i = 0; i < os.length; i++) {
    const c = os.customer[i]!;
    if (c < 0) continue;
    cs.ordersCount[c]!++;
    if (!(os.flags[i]! & FLAG_TEST)) cs.spentCents[c]! += os.currentCents[i]!;
    if (os.processedAt[i]! < cs.createdAt[c]!) cs.createdAt[c] = os.processedAt[i]!;
    if (os.updatedAt[i]! > cs.updatedAt[c]!) cs.updatedAt[c] = os.updatedAt[i]!;
  }
  for (let c = 0; c < N; c++) {
    const tags = (cs.tags[c] ?? []).filter((t) => t !== "VIP");
    if (cs.spentCents[c]! > 100_000) tags.push("VIP");
    cs.tags[c] = tags.length ? tags.sort() : undefined;
  }
}

const emu = await startEmulator({
  apiKey,
  apiSecret,
  appUrl,
  // As bench/sync-emulator-host.ts: large ticks, no pauses; the export is the emulator's cost, not the app's.
  bulkTiming: { startDelayMs: 0, rootsPerTick: 5000, tickDelayMs: 0 },
});
const shop = await emu.addShop(SCALE_SHOP, seed);
console.log(
  JSON.stringify({
    url: emu.url,
    shop: SCALE_SHOP,
    customers: shop.customerCount(),
    orders: shop.orderCount(),
    prepareMs: Date.now() - t0,
  }),
);
const stop = async () => {
  await emu.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
