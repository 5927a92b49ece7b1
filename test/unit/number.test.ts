import { describe, expect, it } from "vitest";
import { parseNumberInput } from "../../app/lib/number";

const value = (s: string, opts?: { integer?: boolean }) => {
  const r = parseNumberInput(s, opts);
  if (!r || !r.ok) throw new Error(`not a number: ${s} (${r && !r.ok ? r.error : "empty"})`);
  return r.value;
};
const error = (s: string, opts?: { integer?: boolean }) => {
  const r = parseNumberInput(s, opts);
  if (!r || r.ok) throw new Error(`accepted: ${s}`);
  return r.error;
};

describe("lib/number: decimals as merchants type them", () => {
  it("reads a decimal comma and a decimal point alike (issue 16: '1,5' was saved as 15)", () => {
    expect(value("1,5")).toBe(1.5);
    expect(value("1.5")).toBe(1.5);
    expect(value(" 12,50 ")).toBe(12.5);
    expect(value("0,125")).toBe(0.125); // a leading 0 cannot start a thousands group
    expect(value(",5")).toBe(0.5);
    expect(value("5.")).toBe(5);
    expect(value("-2,5")).toBe(-2.5);
    expect(value("\u22122.5")).toBe(-2.5);
    expect(value("15")).toBe(15);
  });

  it("reads thousands groups when they cannot be decimals", () => {
    expect(value("1,500,000")).toBe(1_500_000);
    expect(value("1.500.000")).toBe(1_500_000);
    expect(value("1,500.25")).toBe(1500.25);
    expect(value("1.500,25")).toBe(1500.25);
    expect(value("1 500")).toBe(1500);
    expect(value("1\u202f500,5")).toBe(1500.5);
    expect(value("1'500")).toBe(1500);
  });

  it("refuses to guess '1,500' / '1.500' for a decimal field, and reads it as 1500 for a whole-number field", () => {
    expect(error("1,500")).toMatch(/Ambiguous: type 1500 or 1\.5/);
    expect(error("1.500")).toMatch(/Ambiguous/);
    expect(value("1,500", { integer: true })).toBe(1500);
    expect(value("1.500", { integer: true })).toBe(1500);
    expect(error("2,5", { integer: true })).toBe("Whole numbers only");
  });

  it("rejects exponents, junk and misplaced groups instead of reading them", () => {
    for (const s of [
      "1e308",
      "1E3",
      "0x10",
      "Infinity",
      "NaN",
      "abc",
      "1,50,0",
      "1.2.3,4",
      "1,2.3,4",
      "--1",
      ".",
      ",",
      "1 50",
      "12 345 6",
    ]) {
      expect(parseNumberInput(s)?.ok, s).toBe(false);
    }
  });

  it("treats empty input as absent and strips NUL (lib/text's one rule)", () => {
    expect(parseNumberInput("")).toBeNull();
    expect(parseNumberInput("   ")).toBeNull();
    expect(parseNumberInput(null)).toBeNull();
    expect(value("1\u0000,5")).toBe(1.5);
  });
});
