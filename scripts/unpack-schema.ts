// Unpacks the committed Admin 2026-10 introspection schema where @shopify/api-codegen-preset looks
// for it, so codegen never needs the network.
import { gunzipSync } from "node:zlib";
import { readFileSync, writeFileSync, existsSync } from "node:fs";

const target = "app/types/admin-2026-10.schema.json";
if (!existsSync(target)) {
  writeFileSync(target, gunzipSync(readFileSync("app/shopify/schema/admin_2026-10.json.gz")));
  console.log(`wrote ${target}`);
}
