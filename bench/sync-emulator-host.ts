// Child process of bench/sync.ts: hosts the emulator with a big shop, runs the two bulk queries
// of the sync and prints {url, token, shop, ops} as one JSON line, then keeps serving downloads.
import { startEmulator } from "../test/shopify-emulator";
import { bulkQueryText } from "../app/shopify/documents/bulk";
import { CUSTOMERS_BULK_QUERY } from "../app/shopify/documents/customers";
import { ORDERS_BULK_QUERY } from "../app/shopify/documents/orders";

const N = Number(process.argv[2] ?? 1_000_000);
const SHOP = "bench-sync.myshopify.com";
const emu = await startEmulator({ apiKey: "k", apiSecret: "s", bulkTiming: { startDelayMs: 0, rootsPerTick: 5000, tickDelayMs: 0 } });
const t0 = Date.now();
const shop = await emu.addShop(SHOP, { seed: 1, orders: N, years: 4 });
const token = emu.issueAccessToken(SHOP);
const gql = async (query: string, variables?: object) =>
  (await (
    await fetch(`${emu.url}/${SHOP}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": token },
      body: JSON.stringify({ query, variables }),
    })
  ).json()) as any;
const ops: Array<{ id: string; resource: string }> = [];
for (const [resource, doc] of [
  ["orders", ORDERS_BULK_QUERY],
  ["customers", CUSTOMERS_BULK_QUERY],
] as const) {
  const r = await gql(
    `mutation($q: String!) { bulkOperationRunQuery(query: $q, groupObjects: false) { bulkOperation { id } userErrors { message } } }`,
    { q: bulkQueryText(doc, null) },
  );
  ops.push({ id: r.data.bulkOperationRunQuery.bulkOperation.id, resource });
}
await emu.bulk.idle();
const views: any[] = [];
for (const op of ops)
  views.push(
    (await gql(`query($id: ID!) { bulkOperation(id: $id) { status objectCount fileSize url } }`, { id: op.id })).data.bulkOperation,
  );
console.log(
  JSON.stringify({
    url: emu.url,
    token,
    shop: SHOP,
    orders: shop.orderCount(),
    customers: shop.customerCount(),
    ops: ops.map((o, i) => ({ ...o, ...views[i] })),
    prepareMs: Date.now() - t0,
  }),
);
process.on("SIGTERM", async () => {
  await emu.stop();
  process.exit(0);
});
