import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMailSink, type MailSink, type SinkMessage } from "../messaging/mail-sink";
import { createTestDb, type TestDb } from "../support/db";
import { createOutreachTasks, outreachTaskFor } from "../../app/outreach/create-tasks";
import { escalationPass } from "../../app/outreach/jobs";
import { outreachDeps } from "../../app/outreach/feature";
import { saveOutreachSettingsForm } from "../../app/outreach/page.server";
import { conciergeContact, loadOutreachSettings } from "../../app/outreach/settings";
import type { Env } from "../../app/env.server";
import type { Transporter } from "nodemailer";
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
    await createOutreachTasks(t.db.sql, {
      shop: SHOP,
      campaignId: "owner-mail",
      launchAt: LAUNCH,
      settings: settings({ owner: "boss@shop.test" }),
      customerIds: ["1", "2"],
    });
    await createOutreachTasks(t.db.sql, {
      shop: SHOP,
      campaignId: "owner-name",
      launchAt: LAUNCH,
      settings: settings({ owner: "Maria (store owner)" }),
      customerIds: ["3"],
    });
    await transitionTask(t.db.sql, {
      shop: SHOP,
      taskId: (await outreachTaskFor(t.db.sql, SHOP, "owner-mail", "2"))!.id,
      to: "contacted",
      now: after(1),
    });
  });
  afterAll(async () => {
    await t.drop();
    await sink.close();
  });

  it("mails one digest to an owner email, nothing to a name, and nothing again on a rerun", async () => {
    const mailer = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
    const notify = (shop: string, escalated: Parameters<typeof notifyOwners>[2]) =>
      notifyOwners(
        {
          sql: t.db.sql,
          mailer,
          from: "Winback <winback@app.test>",
          appAdminUrl: (s) => `https://${s}/admin/apps/key/app/outreach?status=escalated`,
        },
        shop,
        escalated,
      );
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
      ["boss@shop.test,ops", "a@x.com, b@y.com", "Boss <boss@shop.test>", "boss@shop.test\nBcc: evil@x.test"].map((escalatedTo) => ({
        taskId,
        customerId: "1",
        escalatedTo,
      })),
    );
    expect(sent).toEqual([]);
    expect(inbox.length).toBe(before);
    mailer.close();
  });

  it("a failing mail server does not undo or retry the escalation", async () => {
    await createOutreachTasks(t.db.sql, {
      shop: SHOP,
      campaignId: "owner-mail-2",
      launchAt: LAUNCH,
      settings: settings({ owner: "boss@shop.test" }),
      customerIds: ["1"],
    });
    const deps = {
      sql: t.db.sql,
      queue: { send: async () => "j" },
      now: () => after(10),
      notifyOwners: async () => {
        throw new Error("SMTP down");
      },
    };
    const run = await escalationPass(deps, SHOP);
    expect(run.escalated).toHaveLength(1);
    expect((await outreachTaskFor(t.db.sql, SHOP, "owner-mail-2", "1"))!.status).toBe("escalated");
  });
});

describe("concierge settings drive new tasks and the owner notice (issue 13: the owner notice never went out)", () => {
  const SHOP2 = "concierge-settings.myshopify.com";
  let t: TestDb;
  let sink: MailSink;

  beforeAll(async () => {
    sink = await startMailSink({ dir: mkdtempSync(path.join(os.tmpdir(), "winback-concierge-")) });
    t = await createTestDb("pglite");
    await seedShop(t.db.sql, SHOP2, "UTC");
    for (const id of ["11", "12"]) {
      await seedCustomer(t.db.sql, id, { firstName: `Vip${id}`, email: `vip${id}@example.com`, totalSpent: 500 }, SHOP2);
      await seedOrder(t.db.sql, { id: `9${id}`, customerId: id, processedAt: ago(200), lines: [{ productId: "1", title: "Tea" }] }, SHOP2);
    }
  });
  afterAll(async () => {
    await t.drop();
    await sink.close();
  });

  it("rejects a list as an address, saves the form, and every new task follows it; escalation mails the owner through the production wiring", async () => {
    const mailer = nodemailer.createTransport({ host: "127.0.0.1", port: sink.port, secure: false, ignoreTLS: true });
    let now = LAUNCH;
    const ctx = {
      db: t.db,
      queue: { send: async () => "j" },
      adminClient: async () => {
        throw new Error("outreach calls no Shopify API");
      },
      now: () => now,
      env: () => ({ MAIL_FROM: "Winback <winback@app.test>", SHOPIFY_API_KEY: "key" }) as unknown as Env,
      mailer: () => mailer as unknown as Transporter,
    };
    const form = (o: Record<string, string>) => {
      const f = new FormData();
      for (const [k, v] of Object.entries({
        conciergeName: "Maya Chen",
        conciergeRole: "Head of client care",
        conciergeEmail: "maya@shop.test",
        followUpDays: "3",
        graceDays: "1",
        ownerName: "Maria",
        ownerEmail: "maria@shop.test",
        ...o,
      }))
        f.set(k, v);
      return f;
    };
    expect(await saveOutreachSettingsForm(ctx, SHOP2, form({ ownerEmail: "a@x.com, b@y.com", followUpDays: "soon" }))).toEqual({
      ok: false,
      errors: { ownerEmail: "Enter exactly one email address", followUpDays: "Enter a whole number of days" },
    });
    expect(await loadOutreachSettings(t.db.sql, SHOP2)).toMatchObject({ followUpDays: 7, ownerEmail: "" });
    expect(await saveOutreachSettingsForm(ctx, SHOP2, form({}))).toMatchObject({ ok: true });
    expect(await conciergeContact(t.db.sql, SHOP2)).toEqual({ name: "Maya Chen", role: "Head of client care", replyTo: "maya@shop.test" });

    // A campaign whose plan names no concierge and no owner: the shop's concierge settings apply.
    await createOutreachTasks(t.db.sql, {
      shop: SHOP2,
      campaignId: "c-settings",
      launchAt: LAUNCH,
      settings: settings({ conciergeName: "", owner: "" }),
      customerIds: ["11", "12"],
    });
    const task = (await outreachTaskFor(t.db.sql, SHOP2, "c-settings", "11"))!;
    expect(task.concierge).toEqual({ name: "Maya Chen", role: "Head of client care" });
    expect(task.followUpAt).toEqual(after(3));

    const deps = await outreachDeps(ctx)();
    now = after(3.5); // past follow-up (3 days), within grace (1 day): nothing escalates yet
    expect((await escalationPass(deps, SHOP2)).escalated).toEqual([]);
    now = after(4.5);
    const run = await escalationPass(deps, SHOP2);
    expect(run.escalated.map((e) => e.escalatedTo)).toEqual(["maria@shop.test", "maria@shop.test"]);
    expect(sink.messages.map((m) => m.to)).toEqual([["maria@shop.test"]]);
    expect(sink.messages[0]!.raw).toMatch(/Subject: 2 VIP customers need you/);
    mailer.close();
  });
});
