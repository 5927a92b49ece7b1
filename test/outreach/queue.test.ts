import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, databaseKinds, type TestDb } from "../support/db";
import { createOutreachTasks, outreachTaskFor } from "../../app/outreach/create-tasks";
import { transitionTask } from "../../app/outreach/move-task";
import { listQueue, parseQueueQuery, queueOptions } from "../../app/outreach/list-queue";
import { CSV_HEADER, csvCell, csvLine, exportQueueCsv } from "../../app/outreach/export-queue";
import { isAppError } from "../../app/lib/errors";
import { LAUNCH, SHOP, after, ago, seedCustomer, seedOrder, seedShop, settings } from "./support";

/** Minimal RFC 4180 reader, to prove the export round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += ch;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

describe("csv cells", () => {
  it("quotes per RFC 4180 and defuses formulas", () => {
    expect(csvCell('He said "hi", then left')).toBe('"He said ""hi"", then left"');
    expect(csvCell("line1\nline2")).toBe('"line1\nline2"');
    expect(csvCell('=HYPERLINK("http://evil")')).toBe('"\'=HYPERLINK(""http://evil"")"');
    expect(csvCell("+1 555 0100")).toBe("'+1 555 0100");
    expect(csvCell("-2")).toBe("'-2");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tcmd")).toBe("'\tcmd");
    expect(csvCell(-2.5)).toBe("-2.5");
    expect(csvCell(null)).toBe("");
    expect(csvCell(" padded ")).toBe('" padded "');
    expect(csvLine(["a", 1, null])).toBe("a,1,\r\n");
  });
});

describe.each(databaseKinds)("outreach queue (%s)", (kind) => {
  let t: TestDb;
  const now = after(2.5); // Dec 3, 21:00 UTC
  beforeAll(async () => {
    t = await createTestDb(kind);
    const sql = t.db.sql;
    await seedShop(sql, SHOP, "UTC");
    for (let i = 1; i <= 30; i++) {
      const names: Record<number, [string, string]> = {
        1: ["=cmd|' /C calc'!A0", "Evil"],
        2: ['Zoë "Z"', "O'Brien, Jr."],
        3: ["Ann", "Smith"],
      };
      const [firstName, lastName] = names[i] ?? [`First${String(i).padStart(2, "0")}`, "Doe"];
      const phone = i === 2 ? "+14155550102" : i === 3 ? "=1+2" : undefined; // 3: a hostile value typed into the admin
      await seedCustomer(sql, String(i), { firstName, lastName, phone, totalSpent: 1000 + i * 10, lastOrderAt: ago(100 + i) });
      await seedOrder(sql, {
        id: String(5000 + i),
        customerId: String(i),
        processedAt: ago(100 + i),
        lines: [{ productId: "1", title: "Tea" }],
      });
    }
    await sql.query(
      `INSERT INTO "Campaign" (id, shop, name, status, settings, tag, "discountCode", "updatedAt") VALUES ('camp-a', $1, 'Winter win-back', 'active', '{}', 'winback-a', 'CODEA', now())`,
      [SHOP],
    );
    const ids = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => String(from + k));
    await createOutreachTasks(sql, {
      shop: SHOP,
      campaignId: "camp-a",
      launchAt: LAUNCH,
      settings: settings({ conciergeName: "Ana" }),
      customerIds: ids(1, 20),
    });
    await createOutreachTasks(sql, {
      shop: SHOP,
      campaignId: "camp-b",
      launchAt: after(2),
      settings: settings({ conciergeName: "" }),
      customerIds: ids(21, 30),
    });
    for (const c of ["2", "3", "4"]) {
      const task = (await outreachTaskFor(sql, SHOP, "camp-a", c))!;
      await transitionTask(sql, { shop: SHOP, taskId: task.id, to: "contacted", now: after(1) });
    }
    await transitionTask(sql, {
      shop: SHOP,
      taskId: (await outreachTaskFor(sql, SHOP, "camp-a", "4"))!.id,
      to: "responded",
      now: after(2),
    });
  });
  afterAll(() => t.drop());

  const q = (s: string) => parseQueueQuery(new URLSearchParams(s));

  it("filters by status, concierge, campaign and overdue", async () => {
    const sql = t.db.sql;
    expect((await listQueue(sql, SHOP, q(""), now)).total).toBe(30);
    expect((await listQueue(sql, SHOP, q("status=contacted"), now)).rows.map((r) => r.customerId).sort()).toEqual(["2", "3"]);
    expect((await listQueue(sql, SHOP, q("status=contacted&status=responded"), now)).total).toBe(3);
    expect((await listQueue(sql, SHOP, q("concierge=Customer+care+lead"), now)).total).toBe(10);
    expect((await listQueue(sql, SHOP, q("concierge=Ana&campaign=camp-b"), now)).total).toBe(0);
    const a = await listQueue(sql, SHOP, q("campaign=camp-a&pageSize=5"), now);
    expect(a.total).toBe(20);
    expect(a.rows[0]!.campaignName).toBe("Winter win-back");
    // Day 2.5: camp-a's uncontacted tasks (due end of Dec 1) are overdue; camp-b (launched Dec 3, due by midnight) and contacted ones are not.
    const overdue = await listQueue(sql, SHOP, q("overdue=1&pageSize=100"), now);
    expect(overdue.total).toBe(17);
    expect(overdue.rows.every((r) => r.overdue && r.status === "to_contact" && r.campaignId === "camp-a")).toBe(true);
    expect((await listQueue(sql, SHOP, q("q=smith"), now)).rows.map((r) => [r.name, r.email, r.phone])).toEqual([
      ["Ann Smith", "c3@example.com", "=1+2"],
    ]);
    // by phone, however it is typed; too few digits match no phone
    expect((await listQueue(sql, SHOP, q(`q=${encodeURIComponent("(415) 555-0102")}`), now)).rows.map((r) => r.phone)).toEqual([
      "+14155550102",
    ]);
    expect((await listQueue(sql, SHOP, q("q=0102"), now)).rows.map((r) => r.phone)).toEqual(["+14155550102"]);
    expect((await listQueue(sql, SHOP, q("q=12"), now)).rows.filter((r) => r.phone === "=1+2")).toEqual([]);
    expect((await listQueue(sql, SHOP, q("status=contacted&sort=name"), now)).rows.map((r) => r.phone)).toEqual(["=1+2", "+14155550102"]);
    expect((await listQueue(sql, SHOP, q("q=100%25"), now)).total).toBe(0); // LIKE wildcards are literal
    const opts = await queueOptions(sql, SHOP);
    expect(opts).toEqual({
      concierges: ["Ana", "Customer care lead"],
      campaigns: [
        { id: "camp-b", name: "camp-b" },
        { id: "camp-a", name: "Winter win-back" },
      ],
      total: 30,
    });
  });

  it("sorts and paginates without gaps or repeats", async () => {
    const sql = t.db.sql;
    const seen: string[] = [];
    for (let page = 1; page <= 4; page++) {
      const r = await listQueue(sql, SHOP, q(`sort=spend&dir=desc&page=${page}&pageSize=8`), now);
      expect(r.total).toBe(30);
      seen.push(...r.rows.map((x) => x.customerId));
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, k) => String(30 - k)));
    const byDue = (await listQueue(sql, SHOP, q("sort=due&pageSize=100"), now)).rows;
    expect(byDue.at(-1)!.status).toBe("responded"); // nothing due: last
    expect(byDue.slice(0, 17).every((r) => r.status === "to_contact" && r.campaignId === "camp-a")).toBe(true);
    const past = await listQueue(sql, SHOP, q("page=9"), now);
    expect([past.rows.length, past.total]).toEqual([0, 30]);
    const byName = (await listQueue(sql, SHOP, q("sort=name&pageSize=3"), now)).rows.map((r) => r.name);
    expect(byName).toEqual(["=cmd|' /C calc'!A0 Evil", "Ann Smith", "First04 Doe"]);
  });

  it("rejects junk filters with INVALID_INPUT", async () => {
    for (const s of ["status=done", "sort=drop+table", "page=0", "page=abc"]) {
      expect(
        isAppError(
          (() => {
            try {
              return q(s);
            } catch (e) {
              return e;
            }
          })(),
          "INVALID_INPUT",
        ),
        s,
      ).toBe(true);
    }
  });

  it("exports the filtered queue as CSV that round-trips, formulas defused", async () => {
    const stream = exportQueueCsv(t.db.sql, SHOP, q("campaign=camp-a&sort=spend"), now, 7);
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    const rows = parseCsv(text.slice(1));
    expect(rows[0]).toEqual(CSV_HEADER);
    expect(rows).toHaveLength(21);
    const byId = new Map(rows.slice(1).map((r) => [r[1], r]));
    expect(byId.get("1")![2]).toBe("'=cmd|' /C calc'!A0 Evil");
    expect(byId.get("2")![2]).toBe('Zoë "Z" O\'Brien, Jr.');
    expect(CSV_HEADER.slice(3, 5)).toEqual(["Email", "Phone"]);
    expect(byId.get("2")!.slice(3, 5)).toEqual(["c2@example.com", "'+14155550102"]); // "+" would start a formula
    expect(byId.get("3")![4]).toBe("'=1+2");
    expect(byId.get("1")![4]).toBe(""); // no phone
    expect(byId.get("2")![10]).toBe("Contacted");
    expect(byId.get("1")![5]).toBe("1010");
    expect(byId.get("1")![15]).toContain("\nAs one of our most valued customers");
    expect(rows.slice(1).map((r) => r[1])).toEqual(Array.from({ length: 20 }, (_, k) => String(k + 1)));
  });
});
