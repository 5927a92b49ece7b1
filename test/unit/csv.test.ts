import { describe, expect, it } from "vitest";
import { csvCell, csvRecord } from "../../app/lib/csv";
import { csvLine as segmentCsvLine, type SegmentRow } from "../../app/analysis/explore-segments";
import { csvRow as outreachCsvRow } from "../../app/outreach/export-queue";
import type { QueueRow } from "../../app/outreach/list-queue";

describe("lib/csv: one cell rule for every export", () => {
  it("prefixes a formula after a leading line feed, carriage return or whitespace (issue 16: '\\n=1+2' reached the segments CSV)", () => {
    expect(csvCell("\n=1+2")).toBe(`"'\n=1+2"`);
    expect(csvCell("\r=1+2")).toBe(`"'\r=1+2"`);
    expect(csvCell("\r\n@SUM(A1)")).toBe(`"'\r\n@SUM(A1)"`);
    expect(csvCell("  =1+2")).toBe("'  =1+2");
    expect(csvCell("\t-1")).toBe("'\t-1");
    expect(csvCell("\nplain")).toBe(`"'\nplain"`);
    expect(csvCell("＝1+2")).toBe("'＝1+2");
    expect(csvCell("=1+2")).toBe("'=1+2");
    // Ordinary text, inner formulas and numbers are untouched.
    expect(csvCell("Tea = good")).toBe("Tea = good");
    expect(csvCell("a\n=b")).toBe(`"a\n=b"`);
    expect(csvCell(-2)).toBe("-2");
  });

  it("removes NUL from every cell", () => {
    expect(csvCell("Ma\u0000ria")).toBe("Maria");
    expect(csvCell("\u0000=1+2")).toBe("'=1+2");
    expect(csvRecord(["a\u0000", null, 3])).toBe("a,,3");
  });

  it("the segments export and the outreach export both use it", () => {
    const seg = { customerId: "1", firstName: "\n=1+2", lastName: "X\u0000", email: "a@b.c" } as unknown as SegmentRow;
    const line = segmentCsvLine(seg);
    expect(line).toContain(`"'\n=1+2`);
    expect(line).not.toContain("\u0000");
    const q = {
      id: "t",
      customerId: "1",
      name: "\r=HYPERLINK(1)",
      email: null,
      phone: null,
      totalSpent: null,
      lastOrderAt: null,
      campaignId: "c",
      campaignName: "C\u0000",
      concierge: "",
      perkText: "",
      script: "",
      status: "to_contact",
      nextDueAt: null,
      overdue: false,
      escalatedTo: null,
      wonBackOrderId: null,
    } as unknown as QueueRow;
    const row = outreachCsvRow(q);
    expect(row).toContain(`"'\r=HYPERLINK(1)"`);
    expect(row).not.toContain("\u0000");
  });
});
