import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { appRequest as req, setAppEnv, settle, TEST_APP } from "../support/app-env";

setAppEnv();

const { loader: pageLoader, action: pageAction } = await import("../../app/routes/app.outreach");
const { loader: detailLoader, action: detailAction } = await import("../../app/routes/app.outreach.$id");
const { loader: exportLoader } = await import("../../app/routes/app.outreach.export");
const { loader: settingsLoader, action: settingsAction } = await import("../../app/routes/app.settings.outreach");
const { database } = await import("../../app/db.server");
const { env } = await import("../../app/env.server");
const { createOutreachTasks, outreachTaskFor } = await import("../../app/outreach/create-tasks");
const { seedCustomer, seedOrder, seedShop, settings, ago } = await import("./support");

const SHOP = TEST_APP.shop;

beforeAll(async () => {
  await database.ready();
  // An offline session already stored: authenticate.admin uses it instead of a token exchange.
  await database.prisma.session.create({
    data: {
      id: `offline_${SHOP}`,
      shop: SHOP,
      state: "s",
      isOnline: false,
      scope: env().SCOPES,
      accessToken: "shpat_test",
      expires: new Date(Date.now() + 86_400_000),
    },
  });
  const sql = database.sql;
  await seedShop(sql, SHOP, "UTC");
  for (const id of ["11", "12", "13"]) {
    await seedCustomer(
      sql,
      id,
      { firstName: id === "11" ? "=Mallory" : `Vip${id}`, totalSpent: 2000, phone: id === "13" ? "+1 (415) 555-0113" : undefined },
      SHOP,
    );
    await seedOrder(sql, { id: `7${id}`, customerId: id, processedAt: ago(150), lines: [{ productId: "1", title: "Tea" }] }, SHOP);
  }
});

describe("Outreach routes with a valid session token", () => {
  it("shows the empty state data before any campaign, then the queue", async () => {
    const empty = await (await settle(pageLoader({ request: req("/app/outreach"), params: {}, context: {} }))).json();
    expect(empty.options.total).toBe(0);
    await createOutreachTasks(database.sql, {
      shop: SHOP,
      campaignId: "route-c",
      launchAt: new Date(Date.now() - 86_400_000),
      settings: settings(),
      customerIds: ["11", "12", "13"],
    });
    const res = await settle(pageLoader({ request: req("/app/outreach?status=to_contact&sort=name"), params: {}, context: {} }));
    expect(res.status).toBe(200);
    const data = await res.json();
    expect(data.total).toBe(3);
    expect(data.rows.map((r: { name: string }) => r.name)).toEqual(["=Mallory Last11", "Vip12 Last12", "Vip13 Last13"]);
    expect(data.rows[0]).toMatchObject({
      spend: "$2,000.00",
      concierge: "Ana",
      statusLabel: "To contact",
      overdue: true,
      email: "c11@example.com",
      phone: null,
    });
    expect(data.rows[2]).toMatchObject({ email: "c13@example.com", phone: "+1 (415) 555-0113" });
    const bad = await (await settle(pageLoader({ request: req("/app/outreach?status=nope"), params: {}, context: {} }))).json();
    expect(bad.queryError).toMatch(/status/);
    expect(bad.total).toBe(3);
  });

  it("concierge settings: defaults, a field error for a list of addresses, then saved and read back", async () => {
    const first = await (await settle(settingsLoader({ request: req("/app/settings/outreach"), params: {}, context: {} }))).json();
    expect(first.settings).toMatchObject({ conciergeName: "", followUpDays: 7, graceDays: 2, ownerEmail: "" });
    const form = {
      conciergeName: "Maya Chen",
      conciergeRole: "Client care",
      conciergeEmail: "maya@shop.test",
      followUpDays: "5",
      graceDays: "2",
      ownerName: "Maria",
      ownerEmail: "a@x.com; b@y.com",
    };
    const bad = await settle(settingsAction({ request: req("/app/settings/outreach", { method: "POST", form }), params: {}, context: {} }));
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors).toEqual({ ownerEmail: "Enter exactly one email address" });
    const ok = await settle(
      settingsAction({
        request: req("/app/settings/outreach", { method: "POST", form: { ...form, ownerEmail: "maria@shop.test" } }),
        params: {},
        context: {},
      }),
    );
    expect(ok.status).toBe(200);
    const saved = await (await settle(settingsLoader({ request: req("/app/settings/outreach"), params: {}, context: {} }))).json();
    expect(saved.settings).toEqual({
      conciergeName: "Maya Chen",
      conciergeRole: "Client care",
      conciergeEmail: "maya@shop.test",
      followUpDays: 5,
      graceDays: 2,
      ownerName: "Maria",
      ownerEmail: "maria@shop.test",
    });
    // Back to the defaults, so the other tests' tasks keep the campaign's concierge.
    await database.sql.query(`UPDATE "Shop" SET settings = settings - 'outreach' WHERE domain = $1`, [SHOP]);
  });

  it("rejects requests without a session token", async () => {
    const res = await settle(pageLoader({ request: req("/app/outreach", { token: false }), params: {}, context: {} }));
    expect(res.status).not.toBe(200);
    const exp = await settle(exportLoader({ request: req("/app/outreach/export", { token: false }), params: {}, context: {} }));
    expect(exp.status).not.toBe(200);
  });

  it("bulk-marks tasks contacted and reports conflicts", async () => {
    const ids = await Promise.all(["11", "12"].map(async (c) => (await outreachTaskFor(database.sql, SHOP, "route-c", c))!.id));
    const res = await settle(
      pageAction({
        request: req("/app/outreach", { method: "POST", form: { intent: "bulk", to: "contacted", ids: JSON.stringify(ids) } }),
        params: {},
        context: {},
      }),
    );
    expect(await res.json()).toEqual({ ok: true, message: "2 marked contacted", status: 200 });
    const again = await settle(
      pageAction({
        request: req("/app/outreach", { method: "POST", form: { intent: "bulk", to: "contacted", ids: JSON.stringify(ids) } }),
        params: {},
        context: {},
      }),
    );
    expect((await again.json()).message).toBe("0 marked contacted, 2 already were");
    const bad = await settle(
      pageAction({
        request: req("/app/outreach", { method: "POST", form: { intent: "bulk", to: "won_back", ids: "[1" } }),
        params: {},
        context: {},
      }),
    );
    expect(bad.status).toBe(400);
  });

  it("detail: loads the script, moves status, adds a note once, answers 404/409", async () => {
    const id = (await outreachTaskFor(database.sql, SHOP, "route-c", "13"))!.id;
    const d = await (await settle(detailLoader({ request: req(`/app/outreach/${id}`), params: { id }, context: {} }))).json();
    expect(d.script).toContain("Hi Vip13,");
    expect(d).toMatchObject({ email: "c13@example.com", phone: "+1 (415) 555-0113", phoneHref: "tel:+14155550113" });
    expect(d.next.map((n: { to: string }) => n.to)).toEqual(["contacted", "escalated", "won_back"]);
    const post = (form: Record<string, string>) =>
      settle(detailAction({ request: req(`/app/outreach/${id}`, { method: "POST", form }), params: { id }, context: {} }));
    expect(await (await post({ intent: "transition", to: "escalated", author: "Ana" })).json()).toMatchObject({
      ok: true,
      message: "Marked escalated",
    });
    const conflict = await post({ intent: "transition", to: "contacted" });
    expect(conflict.status).toBe(409);
    const noteId = randomUUID();
    for (let i = 0; i < 2; i++) await post({ intent: "note", body: "Owner will call Friday", noteId, author: "Ana" });
    const after = await (await settle(detailLoader({ request: req(`/app/outreach/${id}`), params: { id }, context: {} }))).json();
    expect(after.notes.map((n: { body: string }) => n.body)).toEqual(["Owner will call Friday"]);
    expect(after.status).toBe("escalated");
    expect((await post({ intent: "note", body: "" })).status).toBe(400);
    const missing = await settle(detailLoader({ request: req(`/app/outreach/nope`), params: { id: "nope" }, context: {} }));
    expect(missing.status).toBe(404);
  });

  it("exports the filtered queue as a CSV download", async () => {
    const res = await settle(exportLoader({ request: req("/app/outreach/export?sort=name"), params: {}, context: {} }));
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="outreach-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await res.text()).split("\r\n");
    expect(lines[0]).toContain("Task ID,Customer ID,Name,Email,Phone,");
    expect(lines[1]).toContain(",'=Mallory Last11,c11@example.com,,");
    expect(lines[3]).toContain(",Vip13 Last13,c13@example.com,'+1 (415) 555-0113,");
    expect(lines.filter(Boolean)).toHaveLength(4);
    const bad = await settle(exportLoader({ request: req("/app/outreach/export?sort=evil"), params: {}, context: {} }));
    expect(bad.status).toBe(400);
  });
});

describe("Outreach routes under hostile input (issue 16)", () => {
  it("a NUL in the search box filters like any other character: page 200, CSV complete", async () => {
    const res = await settle(pageLoader({ request: req("/app/outreach?q=Vip1%002"), params: {}, context: {} }));
    expect(res.status).toBe(200);
    const data = await res.json();
    expect(data.query.q).toBe("Vip12");
    expect(data.rows.map((r: { name: string }) => r.name)).toEqual(["Vip12 Last12"]);
    const csv = await settle(exportLoader({ request: req("/app/outreach/export?q=%00Vip&sort=name"), params: {}, context: {} }));
    expect(csv.status).toBe(200);
    // The whole body arrives (the stream used to error after the header and cut the connection).
    const lines = (await csv.text()).split("\r\n").filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain("Vip13 Last13");
  });

  it("a note or author with NUL is stored without it; an id that cannot name a task is 404", async () => {
    const id = (await outreachTaskFor(database.sql, SHOP, "route-c", "12"))!.id;
    const post = (taskId: string, form: Record<string, string>) =>
      settle(
        detailAction({
          request: req(`/app/outreach/${encodeURIComponent(taskId)}`, { method: "POST", form }),
          params: { id: taskId },
          context: {},
        }),
      );
    const res = await post(id, { intent: "note", body: "Call\u0000 back", noteId: randomUUID(), author: "A\u0000na" });
    expect(res.status).toBe(200);
    const d = await (await settle(detailLoader({ request: req(`/app/outreach/${id}`), params: { id }, context: {} }))).json();
    expect(d.notes.map((n: { body: string; author: string }) => [n.author, n.body])).toContainEqual(["Ana", "Call back"]);
    expect((await settle(detailLoader({ request: req(`/app/outreach/x%00y`), params: { id: "x\u0000y" }, context: {} }))).status).toBe(404);
    expect((await post("x\u0000y", { intent: "note", body: "hi" })).status).toBe(404);
    const bulk = await settle(
      pageAction({
        request: req("/app/outreach", { method: "POST", form: { intent: "bulk", to: "contacted", ids: JSON.stringify(["a\u0000b"]) } }),
        params: {},
        context: {},
      }),
    );
    expect(bulk.status).toBe(200);
    expect((await bulk.json()).message).toMatch(/1 no longer exist/);
  });
});

describe("outreach feature hooks (production wiring)", () => {
  it("onOrderChanged marks the VIP won back; onSyncCompleted enqueues one escalation run", async () => {
    const outreachFeature = (await import("../../app/app.server")).features.find((f) => f.name === "outreach")!;
    await seedOrder(database.sql, { id: "9912", customerId: "12", processedAt: new Date() }, SHOP);
    await outreachFeature.onOrderChanged!({ shop: SHOP, orderId: "9912", customerId: "12" });
    expect((await outreachTaskFor(database.sql, SHOP, "route-c", "12"))!).toMatchObject({ status: "won_back", wonBackOrderId: "9912" });
    await outreachFeature.onSyncCompleted!(SHOP);
    await outreachFeature.onSyncCompleted!(SHOP);
    const jobs = await database.sql.query<{ payload: unknown; singletonKey: string }>(
      `SELECT payload, "singletonKey" FROM "Job" WHERE queue = 'outreach.escalate'`,
    );
    // One job per shop and minute: two calls in the same minute enqueue once (two only across a minute boundary).
    expect(jobs.length, JSON.stringify(jobs)).toBe(new Set(jobs.map((j) => j.singletonKey)).size);
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    expect(jobs.length).toBeLessThanOrEqual(2);
    expect(
      jobs.every((j) => JSON.stringify(j.payload) === JSON.stringify({ shop: SHOP }) && j.singletonKey.startsWith(`${SHOP}:at:`)),
    ).toBe(true);
    expect(outreachFeature.jobs!.map((j) => j.queue)).toEqual(["outreach.escalate"]);
  });
});
