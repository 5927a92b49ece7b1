// Performance check: npx tsx test/shopify-emulator/bench.ts [orders=1000000]
import { startEmulator } from "./index";

const N = Number(process.argv[2] ?? 1_000_000);
const SHOP = "bench.myshopify.com";
const mb = () => Math.round(process.memoryUsage().rss / 1e6);
const emu = await startEmulator({ apiKey: "k", apiSecret: "s", bulkTiming: { startDelayMs: 0, rootsPerTick: 5000, tickDelayMs: 0 } });
let t = Date.now();
const shop = await emu.addShop(SHOP, { seed: 1, orders: N, years: 4 });
console.log(
  `generate: ${shop.orderCount()} orders, ${shop.customerCount()} customers in ${Date.now() - t} ms, rss ${mb()} MB, order columns ${Math.round(shop.data.orders.bytes() / 1e6)} MB`,
);
const token = emu.issueAccessToken(SHOP);
const gql = async (query: string, variables?: object) =>
  (await (
    await fetch(`${emu.url}/${SHOP}/admin/api/2026-10/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": token },
      body: JSON.stringify({ query, variables }),
    })
  ).json()) as any;
const q = `{ orders { edges { node { id processedAt updatedAt cancelledAt test displayFinancialStatus currentTotalPriceSet { shopMoney { amount currencyCode } } totalPriceSet { shopMoney { amount } } discountCodes customer { id }
  lineItems { edges { node { id quantity product { id productType vendor title } variant { id title } originalUnitPriceSet { shopMoney { amount currencyCode } } } } } } } } }`;
t = Date.now();
const run = await gql(`mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id } userErrors { message } } }`, { q });
const id = run.data.bulkOperationRunQuery.bulkOperation.id;
let peak = mb();
for (;;) {
  await new Promise((r) => setTimeout(r, 250));
  peak = Math.max(peak, mb());
  const op = (await gql(`query($id: ID!) { bulkOperation(id: $id) { status objectCount rootObjectCount fileSize url } }`, { id })).data
    .bulkOperation;
  if (op.status !== "RUNNING" && op.status !== "CREATED") {
    console.log(
      `bulk: ${op.status} ${op.rootObjectCount} roots, ${op.objectCount} lines, ${(Number(op.fileSize) / 1e6).toFixed(0)} MB JSONL in ${Date.now() - t} ms, peak rss ${peak} MB`,
    );
    t = Date.now();
    const res = await fetch(op.url);
    let bytes = 0;
    for await (const chunk of res.body as any) bytes += chunk.length;
    console.log(`download: ${(bytes / 1e6).toFixed(0)} MB in ${Date.now() - t} ms`);
    break;
  }
}
t = Date.now();
const page = await gql(
  `{ orders(first: 250, query: "updated_at:>'2026-01-01T00:00:00Z'", sortKey: UPDATED_AT) { nodes { id } pageInfo { hasNextPage } } }`,
);
console.log(
  `orders(first:250, updated_at filter, UPDATED_AT sort) over ${N}: ${Date.now() - t} ms, ${page.data.orders.nodes.length} nodes`,
);
await emu.stop();
