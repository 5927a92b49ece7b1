import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessagingFeature } from "../../app/messaging/feature";
import type { AppContext } from "../../app/jobs/feature";
import { createTestDb, type TestDb } from "../support/db";
import { SHOP } from "./support";

/** Messaging's GDPR hooks (ADR 076): its five tables, by customer and by shop, and the export. */
describe("messaging compliance hooks", () => {
  let t: TestDb;
  const feature = () =>
    createMessagingFeature({ db: t.db, queue: { send: async () => "j" }, now: () => new Date() } as unknown as AppContext);
  const count = async (table: string, shop = SHOP) =>
    (await t.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE shop = $1`, [shop]))[0]!.n;

  beforeAll(async () => {
    t = await createTestDb("pglite");
    for (const shop of [SHOP, "other.myshopify.com"]) {
      for (const c of ["801", "802"]) {
        await t.db.sql.query(
          `INSERT INTO "MessageLog" (id, shop, "customerId", kind, "dedupeKey", status, "messageId", "updatedAt") VALUES ($1, $2, $3, 'winback_standard', $4, 'sent', $5, now())`,
          [`${shop}-${c}`, shop, c, `k:${c}`, `<${shop}-${c}@x>`],
        );
        await t.db.sql.query(
          `INSERT INTO "EmailFeedback" (id, shop, "customerId", "messageLogId", "messageId", type, "receivedAt") VALUES ($1, $2, $3, $4, $5, 'complaint', now())`,
          [`f-${shop}-${c}`, shop, c, `${shop}-${c}`, `<${shop}-${c}@x>`],
        );
        await t.db.sql.query(
          `INSERT INTO "EmailEngagement" (id, shop, "messageLogId", "customerId", kind, machine, "userAgentClass", at) VALUES ($1, $2, $3, $4, 'click', false, 'browser', now())`,
          [`e-${shop}-${c}`, shop, `${shop}-${c}`, c],
        );
        await t.db.sql.query(
          `INSERT INTO "StorefrontVisit" (id, shop, "customerId", "messageLogId", path, at) VALUES ($1, $2, $3, $4, '/', now())`,
          [`v-${shop}-${c}`, shop, c, `${shop}-${c}`],
        );
        await t.db.sql.query(
          `INSERT INTO "EmailSuppression" (shop, "customerId", email, source, at) VALUES ($1, $2, 'a@b.c', 'link', now())`,
          [shop, c],
        );
        await t.db.sql.query(
          `INSERT INTO "FlowTriggerLog" (id, shop, "customerId", handle, "dedupeKey", payload, status, attempts, "createdAt", "updatedAt") VALUES ($1, $2, $3, 'winback-touch', $4, '{}', 'fired', 1, now(), now())`,
          [`t-${shop}-${c}`, shop, c, `k:${c}`],
        );
      }
    }
  });
  afterAll(() => t.drop());

  it("exports, then deletes one customer's rows, then the shop's, leaving other shops alone", async () => {
    const f = feature();
    const data = await f.exportCustomerData!(t.db.sql, SHOP, ["801"]);
    expect(Object.fromEntries(Object.entries(data).map(([k, rows]) => [k, rows.length]))).toEqual({
      EmailFeedback: 1,
      EmailEngagement: 1,
      StorefrontVisit: 1,
      MessageLog: 1,
      EmailSuppression: 1,
      FlowTriggerLog: 1,
    });
    await t.db.sql.transaction((tx) => f.redactCustomers!(tx, SHOP, { customerIds: ["801"], orderIds: [] }));
    for (const table of ["EmailFeedback", "EmailEngagement", "StorefrontVisit", "MessageLog", "EmailSuppression", "FlowTriggerLog"])
      expect({ table, n: await count(table) }).toEqual({ table, n: 1 });
    await t.db.sql.transaction((tx) => f.redactShop!(tx, SHOP));
    for (const table of ["EmailFeedback", "EmailEngagement", "StorefrontVisit", "MessageLog", "EmailSuppression", "FlowTriggerLog"]) {
      expect({ table, n: await count(table) }).toEqual({ table, n: 0 });
      expect({ table, other: await count(table, "other.myshopify.com") }).toEqual({ table, other: 2 });
    }
  });
});
