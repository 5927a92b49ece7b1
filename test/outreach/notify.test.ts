import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailSink, type MailSink, type SinkMessage } from "../messaging/mail-sink";
import { createTestDb, type TestDb } from "../support/db";
import { createOutreachTasks, outreachTaskFor } from "../../app/outreach/create-tasks";
import { escalationPass } from "../../app/outreach/jobs";
import { notifyOwners } from "../../app/outreach/notify-owners";
import { transitionTask } from "../../app/outreach/move-task";
import { LAUNCH, SHOP, after, ago, seedCustomer, seedOrder, seedShop, settings } from "./support";

describe("owner notice for escalated VIPs (real SMTP server)", () => {
  let t: TestDb;
  let sink: MailSink;
  let inbox: SinkMessage[] = [];
  let port = 0;

  beforeAll(async () => {
    sink = await startMailSink({ dir: mkdtempSync(path.join(os.tmpdir(), "winback-notify-")) });
    inbox = sink.messages;
    port = sink.port;
    t = await createTestDb("pglite");
    await seedShop(t.db.sql, SHOP, "UTC");
    for (const id of ["1", "2", "3"]) {
      await seedCustomer(t.db.sql, id, { firstName: `Vip${id}`, email: `vip${id}@example.com`, totalSpent: 100 * Number(id) });
      await seedOrder(t.db.sql, { id: `8${id}`, customerId: id, processedAt: ago(200), lines: [{ productId: "1", title: "Tea" }] });
    }
    await createOutreachTasks(t.db.sql, { shop: SHOP, campaignId: "owner-mail", launchAt: LAUNCH, settings: settings({ owner: "boss@shop.test" }), customerIds: ["1", "2"] });
    await createOutreachTasks(t.db.sql, { shop: SHOP, campaignId: "owner-name", launchAt: LAUNCH, settings: settings({ owner: "Maria (store owner)" }), customerIds: ["3"] });
    await transitionTask(t.db.sql, { shop: SHOP, taskId: (await outreachTaskFor(t.db.sql, SHOP, "owner-mail", "2"))!.id, to: "contacted", now: after(1) });
  });
  afterAll(async () => {
    await t.drop();
    await sink.close();
  });

  it("mails one digest to an owner email, nothing to a name, and nothing again on a rerun", async () => {
    const mailer = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
    const notify = (shop: string, escalated: Parameters<typeof notifyOwners>[2]) =>
      notifyOwners({ sql: t.db.sql, mailer, from: "Winback <winback@app.test>", appAdminUrl: (s) => `https://${s}/admin/apps/key/app/outreach?status=escalated` }, shop, escalated);
    const deps = { sql: t.db.sql, queue: { send: async () => "j" }, now: () => after(10), notifyOwners: notify };
    const run = await escalationPass(deps, SHOP);
    expect(run.escalated).toHaveLength(3);
    expect(inbox).toHaveLength(1);
    const mail = inbox[0]!;
    expect(mail.to).toEqual(["boss@shop.test"]);
    expect(mail.from).toBe("winback@app.test");
    // quoted-printable: soft line breaks and =XX escapes
    const body = mail.raw.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    expect(body).toMatch(/Subject: 2 VIP customers need you/);
    expect(body).toContain("Vip2 Last2 <vip2@example.com>: contacted, no reply");
    expect(body).toContain("Vip1 Last1 <vip1@example.com>: never contacted");
    expect(body.indexOf("Vip2 Last2")).toBeLessThan(body.indexOf("Vip1 Last1")); // biggest spender first
    expect(body).toContain(`https://${SHOP}/admin/apps/key/app/outreach?status=escalated`);
    expect(body).not.toContain("Vip3");
    await escalationPass(deps, SHOP);
    expect(inbox).toHaveLength(1);
    mailer.close();
  });

  it("an owner value that is not exactly one address is never mailed (issue 16: a list fanned out to every address)", async () => {
    const mailer = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
    const before = inbox.length;
    const taskId = (await outreachTaskFor(t.db.sql, SHOP, "owner-mail", "1"))!.id;
    const sent = await notifyOwners(
      { sql: t.db.sql, mailer, from: "Winback <winback@app.test>", appAdminUrl: (s) => `https://${s}/admin/apps/key/app/outreach` },
      SHOP,
      ["boss@shop.test,ops", "a@x.com, b@y.com", "Boss <boss@shop.test>", "boss@shop.test\nBcc: evil@x.test"].map((escalatedTo) => ({ taskId, customerId: "1", escalatedTo })),
    );
    expect(sent).toEqual([]);
    expect(inbox.length).toBe(before);
    mailer.close();
  });

  it("a failing mail server does not undo or retry the escalation", async () => {
    await createOutreachTasks(t.db.sql, { shop: SHOP, campaignId: "owner-mail-2", launchAt: LAUNCH, settings: settings({ owner: "boss@shop.test" }), customerIds: ["1"] });
    const deps = { sql: t.db.sql, queue: { send: async () => "j" }, now: () => after(10), notifyOwners: async () => { throw new Error("SMTP down"); } };
    const run = await escalationPass(deps, SHOP);
    expect(run.escalated).toHaveLength(1);
    expect((await outreachTaskFor(t.db.sql, SHOP, "owner-mail-2", "1"))!.status).toBe("escalated");
  });
});
