import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS } from "../../app/domain/points";
import { applyOrderWebhook } from "../../app/sync/store/live";
import { startSync } from "../../app/sync/start";
import { applyOrderChange, loadLedgerRows, loadPointsSettings, rebuildShopLedger } from "../../app/points/store";
import { ensureLoyaltyDefinitions, loyaltyValues, publishRewardRate, syncLoyaltyMetafields } from "../../app/points/publish-metafields";
import { ledgerSettings } from "../../app/points/settings";
import { createAdminClient } from "../../app/shopify/graphql-client";
import { gql } from "../shopify-emulator/helpers";
import { metafieldStore } from "../shopify-emulator/modules/metafields";
import { setAppEmbed } from "../shopify-emulator/modules/storefront";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { harness, SHOP, type Harness } from "../sync/support";

const NS = "app--7700001--loyalty";

describe.each(databaseKinds)("loyalty metafields sync against the emulator on %s", (kind) => {
  let t: TestDb;
  let h: Harness;
  const sleeps: number[] = [];
  const client = () =>
    createAdminClient({ shop: SHOP, accessToken: h.token, urlTemplate: `${h.emu.url}/{shop}`, sleep: async (ms) => void sleeps.push(ms) });
  const setCalls = () => h.emu.shop(SHOP).mutations.filter((m) => m.field === "metafieldsSet");

  beforeAll(async () => {
    t = await createTestDb(kind);
    h = await harness({ db: t.db, seed: { seed: 5, customers: 70, years: 2 } });
    await startSync(h.deps, { shop: SHOP });
    await h.drain();
    await rebuildShopLedger(t.db.sql, SHOP, new Date());
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await t?.drop();
  });

  it("creates the $app:loyalty definitions (three on customers, the reward rate on the shop) with storefront access, idempotently", async () => {
    expect(await ensureLoyaltyDefinitions(client())).toEqual({ created: 4, existing: 0 });
    expect(await ensureLoyaltyDefinitions(client())).toEqual({ created: 0, existing: 4 });
    const defs = metafieldStore(h.emu.shop(SHOP)).definitions;
    expect(defs.map((d) => [d.namespace, d.key, d.type, d.storefront, d.ownerType])).toEqual([
      [NS, "points_balance", "number_integer", "PUBLIC_READ", "CUSTOMER"],
      [NS, "points_expiring", "number_integer", "PUBLIC_READ", "CUSTOMER"],
      [NS, "points_expire_at", "date_time", "PUBLIC_READ", "CUSTOMER"],
      [NS, "reward", "json", "PUBLIC_READ", "SHOP"],
    ]);
  });

  it("writes every customer's values in batches of 25, then nothing when nothing changed", async () => {
    const now = new Date();
    h.emu.faults.throttle(SHOP, 2); // the shared client waits and retries
    const r = await syncLoyaltyMetafields({ sql: t.db.sql, client: client(), now }, SHOP);
    expect(sleeps.length).toBeGreaterThanOrEqual(2);
    const rows = await loadLedgerRows(t.db.sql, SHOP);
    const settings = ledgerSettings(await loadPointsSettings(t.db.sql, SHOP));
    const withExpiry = rows.filter((x) => loyaltyValues(x, settings, now).expireAt).length;
    expect(r.customersChanged).toBe(rows.length);
    expect(r.metafieldsSet).toBe(rows.length * 2 + withExpiry);
    expect(r.failed).toEqual([]);
    const calls = setCalls();
    expect(calls.length).toBe(Math.ceil(r.metafieldsSet / 25));
    expect(calls.every((c) => (c.args as any).metafields.length <= 25)).toBe(true);
    expect(calls.slice(0, -1).every((c) => (c.args as any).metafields.length === 25)).toBe(true);

    // read back through the Admin API, with the $app prefix
    const sample = rows.find((x) => loyaltyValues(x, settings, now).expireAt)!;
    const v = loyaltyValues(sample, settings, now);
    const res = await gql(
      h.emu,
      h.token,
      `query($id: ID!) { customer(id: $id) { b: metafield(namespace: "$app:loyalty", key: "points_balance") { value type } e: metafield(namespace: "$app:loyalty", key: "points_expiring") { value } at: metafield(namespace: "$app:loyalty", key: "points_expire_at") { value type namespace } } }`,
      { id: `gid://shopify/Customer/${sample.customerId}` },
      SHOP,
    );
    expect(res.body.data.customer).toEqual({
      b: { value: String(v.balance), type: "number_integer" },
      e: { value: String(v.expiring) },
      at: { value: v.expireAt!.toISOString(), type: "date_time", namespace: NS },
    });

    const again = await syncLoyaltyMetafields({ sql: t.db.sql, client: client(), now }, SHOP);
    expect(again).toMatchObject({ customersChanged: 0, metafieldsSet: 0, calls: 0 });
    expect(setCalls().length).toBe(calls.length);
  });

  it("after a new order only that customer's changed values are written", async () => {
    const s = h.emu.shop(SHOP);
    const cid = String(s.customerLegacyId(4));
    const p = h.emu.createOrder(SHOP, { customerId: Number(cid), totalCents: 25_000 });
    await applyOrderWebhook(t.db.sql, SHOP, p);
    await applyOrderChange(t.db.sql, SHOP, String(p.id), cid, new Date());
    const before = setCalls().length;
    const r = await syncLoyaltyMetafields({ sql: t.db.sql, client: client(), now: new Date() }, SHOP);
    expect(r.customersChanged).toBe(1);
    expect(setCalls().length).toBe(before + 1);
    const written = (setCalls().at(-1)!.args as any).metafields;
    expect(written.every((m: any) => m.ownerId === `gid://shopify/Customer/${cid}`)).toBe(true);
    expect(written.map((m: any) => m.key)).toContain("points_balance");
  });

  it("a customer Shopify no longer has is reported, the rest of the batch is written", async () => {
    const s = h.emu.shop(SHOP);
    const rows = await loadLedgerRows(t.db.sql, SHOP);
    const [gone, other] = [rows[0]!.customerId, rows[1]!.customerId];
    await t.db.sql.query(`UPDATE "PointsLedger" SET "syncedBalance" = -1 WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [
      SHOP,
      [gone, other],
    ]);
    const goneIdx = s.customerIndexFromId(gone);
    s.data.customers.deleted.add(goneIdx);
    const r = await syncLoyaltyMetafields({ sql: t.db.sql, client: client(), now: new Date() }, SHOP);
    expect(r.failed.map((f) => [f.customerId, f.message])).toEqual([[gone, "Owner does not exist."]]);
    expect(r.metafieldsSet).toBe(1);
    const after = await loadLedgerRows(t.db.sql, SHOP, { customerIds: [gone, other] });
    expect(after.find((x) => x.customerId === other)!.syncedBalance).toBe(after.find((x) => x.customerId === other)!.balance);
    expect(after.find((x) => x.customerId === gone)!.syncedBalance).toBe(-1);
    s.data.customers.deleted.delete(goneIdx);
  });

  it("when every lot has expired, balances go to 0 and points_expire_at is deleted", async () => {
    const later = new Date(Date.now() + 800 * DAY_MS);
    // small pages: every customer is still covered
    const r = await syncLoyaltyMetafields({ sql: t.db.sql, client: client(), now: later }, SHOP, { pageSize: 7 });
    expect(r.metafieldsDeleted).toBeGreaterThan(0);
    expect((await syncLoyaltyMetafields({ sql: t.db.sql, client: client(), now: later }, SHOP, { pageSize: 7 })).customersChanged).toBe(0);
    const store = metafieldStore(h.emu.shop(SHOP));
    const remaining = Object.values(store.values);
    expect(remaining.filter((m) => m.key === "points_expire_at")).toEqual([]);
    expect(remaining.filter((m) => m.key === "points_balance" && m.value !== "0").map((m) => m.ownerId)).toEqual([]);
  });

  it("at scale the values go out as one bulk mutation (staged JSONL, 25 per line); a rejected element is reported, the rest of its line re-sent", async () => {
    const s = h.emu.shop(SHOP);
    await t.db.sql.query(`UPDATE "PointsLedger" SET "syncedBalance" = NULL, "syncedExpiring" = NULL, "syncedAt" = NULL WHERE shop = $1`, [
      SHOP,
    ]);
    const rows = await loadLedgerRows(t.db.sql, SHOP);
    const goneIdx = s.customerIndexFromId(rows[3]!.customerId);
    s.data.customers.deleted.add(goneIdx);
    const direct = setCalls().length;
    const opsBefore = h.emu.bulk.ops.filter((o) => o.shop === SHOP && o.type === "MUTATION").length;
    const r = await syncLoyaltyMetafields(
      { sql: t.db.sql, client: client(), now: new Date(), sleep: async () => void (await h.emu.bulk.idle()), bulkPollMs: 1 },
      SHOP,
      { bulkThreshold: 10 },
    );
    s.data.customers.deleted.delete(goneIdx);
    expect(r.bulk).toBe(true);
    expect(h.emu.bulk.ops.filter((o) => o.shop === SHOP && o.type === "MUTATION").length).toBe(opsBefore + 1);
    const settings = ledgerSettings(await loadPointsSettings(t.db.sql, SHOP));
    const withExpiry = rows.filter((x) => loyaltyValues(x, settings, new Date()).expireAt).length;
    expect(new Set(r.failed.map((f) => f.customerId))).toEqual(new Set([rows[3]!.customerId]));
    expect(r.failed.length).toBeGreaterThanOrEqual(2);
    expect(r.metafieldsSet).toBe(rows.length * 2 + withExpiry - r.failed.length);
    // bulk lines are logged like calls; the one re-sent line is a direct call
    const lines = setCalls().slice(direct);
    expect(lines.every((c) => (c.args as any).metafields.length <= 25)).toBe(true);
    const after = await loadLedgerRows(t.db.sql, SHOP);
    expect(after.filter((x) => x.syncedBalance === x.balance).length).toBe(rows.length - 1);
    const again = await syncLoyaltyMetafields({ sql: t.db.sql, client: client(), now: new Date() }, SHOP, { bulkThreshold: 10 });
    expect(again).toMatchObject({ customersChanged: 1, bulk: false, metafieldsSet: r.failed.length });
  });

  it("the emulator validates like Shopify: type, value, 25 per call, atomic", async () => {
    const owner = `gid://shopify/Customer/${h.emu.shop(SHOP).customerLegacyId(2)}`;
    const m = (value: string, type = "number_integer") => ({
      ownerId: owner,
      namespace: "$app:loyalty",
      key: "points_balance",
      type,
      value,
    });
    const q = `mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { metafields { value } userErrors { field message code elementIndex } } }`;
    const bad = await gql(h.emu, h.token, q, { m: [m("12"), m("1.5")] }, SHOP);
    expect(bad.body.data.metafieldsSet.userErrors).toEqual([
      { field: ["metafields", "1", "value"], message: "Value must be an integer.", code: "INVALID_VALUE", elementIndex: 1 },
    ]);
    expect(bad.body.data.metafieldsSet.metafields).toEqual([]);
    const wrongType = await gql(h.emu, h.token, q, { m: [m("2026-01-01", "date")] }, SHOP);
    expect(wrongType.body.data.metafieldsSet.userErrors[0].code).toBe("INVALID_TYPE");
    const tooMany = await gql(h.emu, h.token, q, { m: Array.from({ length: 26 }, () => m("1")) }, SHOP);
    // Over 25 entries is a userError, not a top-level error (recorded live: airhorns/shopify-draft-proxy
    // 2025-01/products/metafields-set-over-limit-parity.json).
    expect(tooMany.body.errors).toBeUndefined();
    expect(tooMany.body.data.metafieldsSet).toEqual({
      metafields: null,
      userErrors: [
        {
          field: ["metafields"],
          message: "Exceeded the maximum metafields input limit of 25.",
          code: "LESS_THAN_OR_EQUAL_TO",
          elementIndex: null,
        },
      ],
    });
  });
  it("publishes the redemption rate on the shop once, again only when it changes; the storefront banner values points with it", async () => {
    const before = setCalls().length;
    expect(await publishRewardRate(client(), { points: 50, value: 4 })).toBe(true);
    expect(await publishRewardRate(client(), { points: 50, value: 4 })).toBe(false);
    expect(setCalls().length).toBe(before + 1);
    const shop = await gql(h.emu, h.token, `{ shop { metafield(namespace: "$app:loyalty", key: "reward") { type jsonValue } } }`, {}, SHOP);
    expect(shop.body.data.shop.metafield).toEqual({ type: "json", jsonValue: { points: 50, amount: 4 } });
    // a customer with 250 points expiring soon, as the storefront shows them: 5 rewards of 4.00
    const c = h.emu.shop(SHOP).customerLegacyId(0);
    const soon = new Date(Date.now() + 3 * DAY_MS).toISOString();
    await gql(
      h.emu,
      h.token,
      `mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { userErrors { message } } }`,
      {
        m: [
          {
            ownerId: `gid://shopify/Customer/${c}`,
            namespace: "$app:loyalty",
            key: "points_expiring",
            type: "number_integer",
            value: "250",
          },
          { ownerId: `gid://shopify/Customer/${c}`, namespace: "$app:loyalty", key: "points_expire_at", type: "date_time", value: soon },
        ],
      },
      SHOP,
    );
    setAppEmbed(h.emu.shop(SHOP), "points-expiry-banner", true); // the merchant activated the app embed in the theme editor
    const page = await (await fetch(`${h.emu.url}/${SHOP}/storefront?customer=${c}`)).text();
    expect(page.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ")).toMatch(/250 points worth \S*20\.00/);
    expect(await publishRewardRate(client(), { points: 100, value: 5 })).toBe(true);
    const after = await (await fetch(`${h.emu.url}/${SHOP}/storefront?customer=${c}`)).text();
    expect(after.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ")).toMatch(/250 points worth \S*10\.00/);
  });
});
