import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

const FORBIDDEN = [/^@remix-run\//, /^@prisma\//, /^@shopify\//, /^pg$/, /^pg-boss$/, /^@electric-sql\//, /^node:(fs|net|http|https|child_process)/, /^(fs|net|http|https|child_process)$/, /\.server$/, /graphql-request/, /^react/];

// Pure helpers the domain may use: no I/O, no framework (the error vocabulary, the one NUL rule, the one address rule).
const PURE_LIB = ["app/lib/errors", "app/lib/text", "app/lib/email-address"];

describe("architecture", () => {
  it("app/domain imports no Remix, Prisma, Shopify, database or network code", () => {
    const offenders: string[] = [];
    for (const f of files(path.resolve("app/domain"))) {
      if (f.endsWith(".test.ts")) continue;
      const src = readFileSync(f, "utf8");
      for (const m of src.matchAll(/(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)) {
        const spec = m[1] ?? m[2]!;
        if (FORBIDDEN.some((re) => re.test(spec))) offenders.push(`${path.relative(process.cwd(), f)} -> ${spec}`);
        if (spec.startsWith(".")) {
          const target = path.resolve(path.dirname(f), spec);
          const inside = target.startsWith(path.resolve("app/domain")) || PURE_LIB.some((l) => target === path.resolve(l));
          if (!inside) offenders.push(`${path.relative(process.cwd(), f)} -> ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
