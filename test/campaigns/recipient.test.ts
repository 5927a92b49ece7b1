import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMessenger } from "../../app/messaging/messenger";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { seedCustomer, seedShop, SHOP } from "../outreach/support";

/**
 * The sending path's last check (lib/email-address): a stored address that is a list, a display
 * name or carries a line break is not a usable email. nodemailer reads `to` as an address list, so
 * "a@x.com, b@y.com" used to reach both mailboxes (issue 16).
 */
describe.each(databaseKinds)("one recipient per message (%s)", (kind) => {
  let t: TestDb;
  const sent: Array<{ to: unknown; replyTo: unknown }> = [];
  beforeAll(async () => {
    t = await createTestDb(kind);
    await seedShop(t.db.sql, SHOP, "UTC");
    // Marketing email carries the shop's postal address; without one messaging refuses it (ADR 080).
    await t.db.sql.query(
      `UPDATE "Shop" SET settings = coalesce(settings, '{}'::jsonb) || '{"messaging": {"postalAddress": "Shop\\n1 Main St"}}'::jsonb WHERE domain = $1`,
      [SHOP],
    );
    const emails: Record<string, string> = {
      "1": "a@x.com, b@y.com",
      "2": "a@x.com;b@y.com",
      "3": "Boss <boss@shop.test>",
      "4": "ok@shop.test",
    };
    for (const [id, email] of Object.entries(emails)) {
      await seedCustomer(t.db.sql, id, { email });
      await t.db.sql.query(`UPDATE "Customer" SET "emailConsent" = 'SUBSCRIBED' WHERE shop = $1 AND id = $2`, [SHOP, id]);
    }
  });
  afterAll(async () => t.drop());

  const messenger = () =>
    createMessenger({
      sql: t.db.sql,
      transport: {
        sendMail: async (m: { to: unknown; replyTo: unknown }) => (sent.push({ to: m.to, replyTo: m.replyTo }), { messageId: "<x@test>" }),
      } as never,
      appUrl: "https://winback.test",
      secret: "s".repeat(32),
      from: "Winback <winback@app.test>",
      frequencyCapHours: 0,
    });
  const msg = (customerId: string, extra: Record<string, unknown> = {}) => ({
    shop: SHOP,
    customerId,
    kind: "points_nudge" as const,
    dedupeKey: `k-${customerId}-${JSON.stringify(extra)}`,
    subject: "Hi",
    text: "Hi",
    html: "<p>Hi</p>",
    ...extra,
  });

  it("skips a customer whose stored address is not exactly one mailbox, and sends to one that is", async () => {
    const m = messenger();
    for (const id of ["1", "2", "3"]) expect(await m.sendEmail(msg(id))).toEqual({ status: "skipped", reason: "not_subscribed" });
    expect(sent).toEqual([]);
    expect((await m.sendEmail(msg("4"))).status).toBe("sent");
    expect(sent).toEqual([{ to: "ok@shop.test", replyTo: undefined }]);
  });

  it("refuses a Reply-To that is a list before anything is claimed", async () => {
    await expect(messenger().sendEmail(msg("4", { replyTo: "a@x.com, b@y.com" }))).rejects.toThrow(
      /replyTo: Enter exactly one email address/,
    );
    const rows = await t.db.sql.query(`SELECT 1 FROM "MessageLog" WHERE "dedupeKey" LIKE '%replyTo%'`);
    expect(rows).toEqual([]);
  });
});
