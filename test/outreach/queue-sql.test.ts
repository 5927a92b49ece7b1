import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import type { Sql } from "../../app/db/sql";
import type { VipTaskStatus } from "../../app/domain/campaigns";
import { createOutreachTasks, outreachTaskFor } from "../../app/outreach/create-tasks";
import { transitionTask } from "../../app/outreach/move-task";
import { listQueue, parseQueueQuery, type QueueQuery, type QueueRow } from "../../app/outreach/list-queue";
import { exportQueueCsv, csvRow } from "../../app/outreach/export-queue";
import { refreshTaskContacts } from "../../app/outreach/refresh-contacts";
import { LAUNCH, SHOP, after, ago, seedCustomer, seedShop, settings } from "./support";

/*
 * The queue moved its search, sort and paging from memory into SQL (docs/decisions/086-pages-at-scale.md).
 * `inMemoryQueue` is the previous implementation, kept here as the reference: for every filter, search,
 * sort and page below, the SQL queue must answer exactly what it answered.
 */
const STATUS_ORDER: VipTaskStatus[] = ["escalated", "follow_up_due", "to_contact", "contacted", "responded", "won_back"];
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function inMemoryQueue(sql: Sql, q: QueueQuery, now: Date): Promise<{ ids: string[]; total: number }> {
  const tasks = await sql.query<{
    id: string;
    customerId: string;
    campaignId: string;
    concierge: string;
    status: VipTaskStatus;
    dueAt: Date;
    followUpAt: Date | null;
  }>(
    `SELECT id, "customerId"::text AS "customerId", "campaignId", coalesce(nullif("conciergeName", ''), "conciergeRole") AS concierge, status, "dueAt", "followUpAt"
       FROM "OutreachTask" WHERE shop = $1`,
    [SHOP],
  );
  const customers = new Map(
    (
      await sql.query<{
        id: string;
        firstName: string | null;
        lastName: string | null;
        email: string | null;
        phone: string | null;
        totalSpent: string;
        lastOrderAt: Date | null;
      }>(
        `SELECT id::text AS id, "firstName", "lastName", email, phone, "totalSpent"::text AS "totalSpent", "lastOrderAt" FROM "Customer" WHERE shop = $1`,
        [SHOP],
      )
    ).map((c) => [c.id, c]),
  );
  const names = new Map(
    (await sql.query<{ id: string; name: string }>(`SELECT id, name FROM "Campaign" WHERE shop = $1`, [SHOP])).map((c) => [c.id, c.name]),
  );
  const rows = tasks
    .filter((t) => (!q.status.length || q.status.includes(t.status)) && (!q.concierge.length || q.concierge.includes(t.concierge)))
    .filter((t) => !q.campaign.length || q.campaign.includes(t.campaignId))
    .map((t) => {
      const c = customers.get(t.customerId);
      const due =
        t.status === "to_contact"
          ? new Date(t.dueAt)
          : ["contacted", "follow_up_due"].includes(t.status) && t.followUpAt
            ? new Date(t.followUpAt)
            : null;
      return {
        t,
        name: `${c?.firstName ?? ""} ${c?.lastName ?? ""}`.trim(),
        email: c?.email ?? null,
        phone: c?.phone ?? null,
        spend: c ? Number(c.totalSpent) : null,
        lastOrder: c?.lastOrderAt ? new Date(c.lastOrderAt).getTime() : null,
        campaign: (names.get(t.campaignId) ?? t.campaignId).toLowerCase(),
        due,
        overdue: due !== null && due.getTime() <= now.getTime(),
      };
    })
    .filter((r) => !q.overdue || r.overdue)
    .filter((r) => {
      if (!q.q) return true;
      const needle = q.q.toLowerCase();
      if (r.name.toLowerCase().includes(needle) || (r.email ?? "").toLowerCase().includes(needle) || r.t.customerId === q.q) return true;
      const digits = q.q.replace(/\D/g, "");
      return digits.length >= 4 && (r.phone ?? "").replace(/\D/g, "").includes(digits);
    });
  type R = (typeof rows)[number];
  const value: Record<QueueQuery["sort"], (r: R) => number | string | null> = {
    due: (r) => (r.due ? r.due.getTime() : null),
    spend: (r) => r.spend,
    lastOrder: (r) => r.lastOrder,
    name: (r) => r.name.toLowerCase(),
    status: (r) => STATUS_ORDER.indexOf(r.t.status),
    campaign: (r) => r.campaign,
  };
  const sign = q.dir === "desc" ? -1 : 1;
  const v = value[q.sort];
  rows.sort((a, b) => {
    const va = v(a);
    const vb = v(b);
    if (va === null || vb === null) {
      if (va !== vb) return va === null ? 1 : -1;
    } else {
      const c = typeof va === "number" && typeof vb === "number" ? va - vb : byText(String(va), String(vb));
      if (c !== 0) return sign * c;
    }
    return sign * byText(a.t.id, b.t.id);
  });
  const start = (q.page - 1) * q.pageSize;
  return { ids: rows.slice(start, start + q.pageSize).map((r) => r.t.id), total: rows.length };
}

/** Counts the queue's page reads (queries on OutreachTask with a LIMIT) and their largest LIMIT. */
function countingSql(sql: Sql) {
  const seen = { pages: 0, maxLimit: 0 };
  const wrapped: Sql = {
    ...sql,
    engine: sql.engine,
    query: async <T>(text: string, params?: unknown[]) => {
      const m = /FROM "OutreachTask" t[\s\S]*LIMIT \$(\d+)/.exec(text);
      if (m) {
        seen.pages++;
        seen.maxLimit = Math.max(seen.maxLimit, Number(params![Number(m[1]) - 1]));
      }
      return sql.query<T>(text, params);
    },
    exec: (t) => sql.exec(t),
    transaction: (fn) => sql.transaction(fn),
    copyFrom: (t, c, r) => sql.copyFrom(t, c, r),
  };
  return { sql: wrapped, seen };
}

describe.each(databaseKinds)("outreach queue in SQL matches the in-memory queue (%s)", (kind) => {
  let t: TestDb;
  const now = after(2.5);
  beforeAll(async () => {
    t = await createTestDb(kind);
    const sql = t.db.sql;
    await seedShop(sql, SHOP, "UTC");
    for (let i = 1; i <= 24; i++) {
      // Ties in spend and last order, names differing only in case, no last order, no phone: the edges of the order.
      await seedCustomer(sql, String(i), {
        firstName: i % 5 === 0 ? "ann" : i % 3 === 0 ? "Ann" : `Zed${i % 4}`,
        lastName: i % 2 ? "Smith" : "O'Neil",
        email: i % 6 === 0 ? `ANN.${i}@Example.com` : undefined,
        phone: i % 4 === 0 ? `+1 (415) 555-01${String(i).padStart(2, "0")}` : undefined,
        totalSpent: 100 * (i % 5),
        lastOrderAt: i % 7 === 0 ? undefined : ago(10 + (i % 6)),
      });
    }
    await sql.query(
      `INSERT INTO "Campaign" (id, shop, name, status, settings, tag, "discountCode", "updatedAt") VALUES
        ('camp-a', $1, 'winter', 'active', '{}', 'a', 'A', now()), ('camp-c', $1, 'Autumn', 'active', '{}', 'c', 'C', now())`,
      [SHOP],
    );
    const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => String(from + k));
    await createOutreachTasks(sql, { shop: SHOP, campaignId: "camp-a", launchAt: LAUNCH, settings: settings(), customerIds: ids(1, 12) });
    await createOutreachTasks(sql, {
      shop: SHOP,
      campaignId: "camp-b",
      launchAt: after(2),
      settings: settings({ conciergeName: "" }),
      customerIds: ids(8, 20),
    });
    // A customer the sync has no row for (deleted in Shopify): no name, spend or last order.
    await createOutreachTasks(sql, {
      shop: SHOP,
      campaignId: "camp-c",
      launchAt: after(1),
      settings: settings({ conciergeName: "Bo" }),
      customerIds: [...ids(18, 24), "99"],
    });
    for (const c of ["2", "3", "4", "9"]) {
      const task = (await outreachTaskFor(sql, SHOP, "camp-a", c))!;
      await transitionTask(sql, { shop: SHOP, taskId: task.id, to: "contacted", now: after(1) });
    }
    const r = (await outreachTaskFor(sql, SHOP, "camp-a", "4"))!;
    await transitionTask(sql, { shop: SHOP, taskId: r.id, to: "responded", now: after(2) });
  });
  afterAll(() => t.drop());

  const queries = [
    "",
    "dir=desc",
    "sort=spend",
    "sort=spend&dir=desc",
    "sort=lastOrder",
    "sort=lastOrder&dir=desc",
    "sort=name",
    "sort=name&dir=desc",
    "sort=status",
    "sort=status&dir=desc",
    "sort=campaign",
    "sort=campaign&dir=desc",
    "overdue=1",
    "overdue=1&sort=name",
    "status=contacted&status=responded",
    "concierge=Bo&sort=spend",
    "campaign=camp-b&campaign=camp-c&sort=lastOrder&dir=desc",
    "q=ann",
    "q=ANN&sort=spend",
    "q=example.com&sort=name",
    "q=0108",
    "q=12",
    "q=(415)%20555",
    "q=100%25",
    "q=7",
    "q=o'neil&sort=due",
  ];
  it.each(queries)("same rows, order and total for ?%s on every page", async (qs) => {
    for (const pageSize of [5, 50]) {
      for (let page = 1; page <= 7; page++) {
        const q = parseQueueQuery(new URLSearchParams(`${qs}&page=${page}&pageSize=${pageSize}`));
        const [got, want] = await Promise.all([listQueue(t.db.sql, SHOP, q, now), inMemoryQueue(t.db.sql, q, now)]);
        expect({ ids: got.rows.map((r) => r.id), total: got.total }, `${qs} page ${page}/${pageSize}`).toEqual(want);
        if (got.rows.length < pageSize) break;
      }
    }
  });

  it("the export streams keyset batches of pageSize, with the same rows in the same order as the pages", async () => {
    for (const qs of ["sort=spend&dir=desc", "sort=name", "sort=lastOrder", "q=ann&sort=campaign", "sort=due"]) {
      const q = parseQueueQuery(new URLSearchParams(qs));
      const counting = countingSql(t.db.sql);
      const text = await new Response(exportQueueCsv(counting.sql, SHOP, q, now, 4)).text();
      const all: QueueRow[] = (await listQueue(t.db.sql, SHOP, { ...q, page: 1, pageSize: 500 }, now)).rows;
      expect(all.length).toBeGreaterThan(3);
      const body = text.split("\r\n").slice(1).join("\r\n");
      expect(body, qs).toBe(all.map(csvRow).join(""));
      // Batches of at most 4 rows: a 30-task export never reads more than 4 at once.
      expect(counting.seen.maxLimit).toBeLessThanOrEqual(4);
      expect(counting.seen.pages).toBeGreaterThanOrEqual(Math.ceil(all.length / 4));
    }
  });

  it("a client that goes away stops the export's reads", async () => {
    const counting = countingSql(t.db.sql);
    const reader = exportQueueCsv(counting.sql, SHOP, parseQueueQuery(new URLSearchParams("")), now, 2).getReader();
    await reader.read(); // header
    await reader.read(); // first batch
    await reader.cancel();
    const after = counting.seen.pages;
    await new Promise((r) => setTimeout(r, 50));
    expect(after).toBeLessThanOrEqual(2);
    expect(counting.seen.pages).toBe(after);
  });

  it("search and sort follow a customer's new name and spend once the contacts are refreshed", async () => {
    const sql = t.db.sql;
    await sql.query(`UPDATE "Customer" SET "firstName" = 'Quentin', "totalSpent" = 99999 WHERE shop = $1 AND id = 11`, [SHOP]);
    const q = (s: string) => parseQueueQuery(new URLSearchParams(s));
    expect((await listQueue(sql, SHOP, q("q=quentin"), now)).total).toBe(0); // snapshot not refreshed yet
    expect(await refreshTaskContacts(sql, SHOP, ["11"])).toBe(2); // its tasks in camp-a and camp-b
    expect((await listQueue(sql, SHOP, q("q=quentin"), now)).rows.map((r) => r.customerId)).toEqual(["11", "11"]);
    expect((await listQueue(sql, SHOP, q("sort=spend&dir=desc&pageSize=1"), now)).rows[0]!.customerId).toBe("11");
    expect(await refreshTaskContacts(sql, SHOP)).toBe(0); // the whole-shop sweep finds nothing else changed
    for (const qs of queries.slice(0, 8)) {
      const query = q(`${qs}&pageSize=50`);
      const got = await listQueue(sql, SHOP, query, now);
      expect({ ids: got.rows.map((r) => r.id), total: got.total }).toEqual(await inMemoryQueue(sql, query, now));
    }
  });
});
