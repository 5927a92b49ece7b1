// Protected customer data: shopify.dev "Work with protected customer data" — before approval the
// Customer object (level 1 missing) or its name / email / phone / address fields (level 2, each
// approved separately) are withheld: HTTP 200, the value null, an error "This app is not approved to
// access the Customer object…" whose path ends at the field. The emulator models it
// (test/shopify-emulator/protected-data.ts); the app must find out what is withheld and say so.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../app/lib/errors";
import { createAdminClient, type AdminClient } from "../../app/shopify/graphql-client";
import {
  describeProtectedDataAccess,
  probeProtectedCustomerData,
  protectedDataAccess,
  PROTECTED_DATA_TTL_MS,
} from "../../app/shopify/protected-data";
import { startEmulator, type Emulator } from "../shopify-emulator";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { protectedDataCache } from "../../app/shop-settings.server";

const SHOP = "protected-data.myshopify.com";

describe.each(databaseKinds)("protected customer data against the emulator (%s)", (kind) => {
  let t: TestDb;
  let emu: Emulator;
  let client: (shop: string) => Promise<AdminClient>;
  beforeAll(async () => {
    t = await createTestDb(kind);
    emu = await startEmulator({ apiKey: "pcd-key", apiSecret: "pcd-secret" });
    await emu.addShop(SHOP, { seed: 3, customers: 10, years: 1 });
    const token = emu.issueAccessToken(SHOP);
    client = async (shop) =>
      createAdminClient({ shop, accessToken: token, urlTemplate: `${emu.url}/{shop}`, maxAttempts: 1, sleep: async () => {} });
  });
  afterAll(async () => {
    await emu.stop();
    await t.drop();
  });
  beforeEach(async () => {
    await t.db.sql.query(`DELETE FROM "Shop"`);
    await t.db.sql.query(`INSERT INTO "Shop" (domain, "updatedAt") VALUES ($1, now())`, [SHOP]);
  });

  it("approved (level 2, every field): nothing withheld, no banner", async () => {
    emu.setProtectedCustomerData(SHOP, "level2");
    const a = await probeProtectedCustomerData(await client(SHOP));
    expect(a).toMatchObject({ state: "approved", withheld: [] });
    expect(describeProtectedDataAccess(a)).toBeNull();
  });

  it("level 1: names, emails and phones withheld; the banner says emails cannot be sent and what to request", async () => {
    emu.setProtectedCustomerData(SHOP, "level1");
    const a = await probeProtectedCustomerData(await client(SHOP));
    expect(a).toMatchObject({ state: "restricted", withheld: ["email", "name", "phone"] });
    const d = describeProtectedDataAccess(a)!;
    expect(d.title).toMatch(/names, email addresses, phone numbers|email addresses, names, phone numbers/);
    expect(d.message).toMatch(/cannot email customers/);
    expect(d.message).toMatch(/Protected customer data access/);
  });

  it("level 2 for names only: emails and phones withheld", async () => {
    emu.setProtectedCustomerData(SHOP, { level: "level2", fields: ["name", "address"] });
    const a = await probeProtectedCustomerData(await client(SHOP));
    expect(a).toMatchObject({ state: "restricted", withheld: ["email", "phone"] });
  });

  it("not approved at all: the Customer object is denied", async () => {
    emu.setProtectedCustomerData(SHOP, "none");
    const a = await probeProtectedCustomerData(await client(SHOP));
    expect(a).toMatchObject({ state: "denied", withheld: ["customers"] });
    expect(describeProtectedDataAccess(a)!.message).toMatch(/cannot be synced/);
  });

  it("the answer is kept on the Shop row and reused; a failed probe keeps the last known answer", async () => {
    emu.setProtectedCustomerData(SHOP, "level1");
    let calls = 0;
    const counting = async (shop: string) => {
      calls++;
      return client(shop);
    };
    const t0 = new Date("2026-12-03T10:00:00Z");
    const first = await protectedDataAccess({ cache: protectedDataCache(t.db.sql), client: counting, now: () => t0 }, SHOP);
    expect(first).toMatchObject({ state: "restricted" });
    const again = await protectedDataAccess(
      { cache: protectedDataCache(t.db.sql), client: counting, now: () => new Date(t0.getTime() + 60_000) },
      SHOP,
    );
    expect(again).toEqual(first);
    expect(calls).toBe(1);
    // After the TTL the probe runs again; Shopify unreachable: the last answer stays (nothing is lost).
    const failing = async (): Promise<AdminClient> =>
      ({
        shop: SHOP,
        request: async () => {
          throw new AppError("NETWORK", "connection reset", { retryable: true });
        },
      }) as AdminClient;
    const later = new Date(t0.getTime() + PROTECTED_DATA_TTL_MS + 1);
    expect(await protectedDataAccess({ cache: protectedDataCache(t.db.sql), client: failing, now: () => later }, SHOP)).toEqual(first);
    // Approval arrives: the next probe clears the banner.
    emu.setProtectedCustomerData(SHOP, "level2");
    expect(await protectedDataAccess({ cache: protectedDataCache(t.db.sql), client: counting, now: () => later }, SHOP)).toMatchObject({
      state: "approved",
    });
  });

  it("other GraphQL errors are not mistaken for withheld data", async () => {
    const other: AdminClient = {
      shop: SHOP,
      request: async () => {
        throw new AppError("SHOPIFY_GRAPHQL", "MAX_COST_EXCEEDED: too costly", {
          details: { codes: ["MAX_COST_EXCEEDED"], errors: [{ message: "too costly", extensions: { code: "MAX_COST_EXCEEDED" } }] },
        });
      },
    } as AdminClient;
    await expect(probeProtectedCustomerData(other)).rejects.toMatchObject({ code: "SHOPIFY_GRAPHQL" });
  });
});
