// Architecture rules of the Shopify adapters (ADR 081): GraphQL documents are sent only by the
// adapters in app/shopify, and the adapters read Shopify's answers through schemas, never casts.
import { readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { importSpecifiers, resolveSpecifier, sourceFiles } from "../support/import-graph";

const ROOT = process.cwd();
const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join("/");
const SHOPIFY = "app/shopify/";
const DOCUMENTS = "app/shopify/documents/";

/**
 * Files outside app/shopify that may import documents, each with its reason. Production code (app/)
 * has none: features call adapters.
 */
const DOCUMENT_IMPORTERS: Record<string, string> = {
  // Sends every document exactly as the app does and checks the emulator answers like Shopify; it
  // imports them so it breaks when one changes, and fails when one is added without a case.
  "test/shopify-emulator/conformance/documents.test.ts": "the conformance suite is about the documents themselves",
  // Starts the sync's two bulk queries against the emulator by hand to time the download and merge.
  "bench/sync-emulator-host.ts": "the sync benchmark drives the emulator with the sync's own bulk queries",
};

/**
 * `as` casts allowed in app/shopify, each with its reason. None reads a GraphQL response: those go
 * through the adapters' zod schemas (parseResponse).
 */
const CAST_ALLOWED: Array<{ file: string; text: string; reason: string }> = [
  {
    file: "app/shopify/jsonl/lines.ts",
    text: "body as AsyncIterable<Uint8Array>",
    reason:
      "narrows a download body (Node stream or web stream) to the one it is; the bytes are parsed line by line with zod (bulk/records.ts)",
  },
  {
    file: "app/shopify/jsonl/lines.ts",
    text: "body as ReadableStream<Uint8Array>",
    reason: "same narrowing, the web stream branch",
  },
];

/**
 * `client.request(…)` results in app/shopify that are not parsed, each with its reason.
 */
const UNPARSED_REQUESTS: Record<string, string> = {
  // The probe's answer is not read: only the errors of a refusal are (parsed with zod in the catch).
  "app/shopify/protected-data.ts": "the protected-data probe reads the errors of a refusal, never the data",
};

function scanFiles(): string[] {
  return ["app", "test", "bench", "scripts"].flatMap((d) => {
    try {
      return sourceFiles(path.resolve(d));
    } catch {
      return [];
    }
  });
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(
    file,
    readFileSync(file, "utf8"),
    ts.ScriptTarget.Latest,
    true,
    file.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
}

function walk(node: ts.Node, visit: (n: ts.Node) => void) {
  visit(node);
  node.forEachChild((c) => walk(c, visit));
}

/** `x as T` and `<T>x` in a file, except `as const` (a literal type, not a claim about data). */
export function castsIn(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  walk(sf, (n) => {
    if (ts.isAsExpression(n) || ts.isTypeAssertionExpression(n)) {
      if (ts.isTypeReferenceNode(n.type) && n.type.typeName.getText(sf) === "const") return;
      out.push(n.getText(sf));
    }
  });
  return out;
}

/** `<x>.request(…)` calls whose result does not go straight into parseResponse(schema, …). */
export function unparsedRequests(sf: ts.SourceFile): string[] {
  const out: string[] = [];
  walk(sf, (n) => {
    if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression) || n.expression.name.text !== "request") return;
    let p: ts.Node = n.parent;
    if (ts.isAwaitExpression(p)) p = p.parent;
    const parsed = ts.isCallExpression(p) && ts.isIdentifier(p.expression) && p.expression.text === "parseResponse";
    if (!parsed) out.push(n.getText(sf).slice(0, 80));
  });
  return out;
}

const shopifySources = () => sourceFiles(path.resolve(SHOPIFY)).filter((f) => !/\.test\.tsx?$/.test(f));

describe("Shopify adapters (ADR 081)", () => {
  it("no file outside app/shopify imports app/shopify/documents (except the reasoned allow-list)", () => {
    const offenders: string[] = [];
    for (const f of scanFiles()) {
      const from = rel(f);
      if (from.startsWith(SHOPIFY) || DOCUMENT_IMPORTERS[from]) continue;
      for (const { spec } of importSpecifiers(readFileSync(f, "utf8"))) {
        const to = resolveSpecifier(f, spec, ROOT);
        if (typeof to === "string" && to !== "unresolved" && rel(to).startsWith(DOCUMENTS)) offenders.push(`${from} -> ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
    // The allow-list holds only files that exist and still need it.
    for (const f of Object.keys(DOCUMENT_IMPORTERS)) {
      const imports = importSpecifiers(readFileSync(path.resolve(f), "utf8")).some(({ spec }) => /shopify\/documents\//.test(spec));
      expect(imports, `${f} is allow-listed but imports no document`).toBe(true);
    }
  });

  it("app/shopify has no `as` cast beyond the reasoned allow-list (responses are parsed with zod)", () => {
    const found = shopifySources().flatMap((f) => castsIn(parse(f)).map((text) => ({ file: rel(f), text })));
    const unexpected = found.filter((c) => !CAST_ALLOWED.some((a) => a.file === c.file && a.text === c.text));
    expect(unexpected).toEqual([]);
    for (const a of CAST_ALLOWED)
      expect(found, `allow-listed cast no longer present: ${a.file} ${a.text}`).toContainEqual({ file: a.file, text: a.text });
  });

  it("every request an adapter sends is parsed with parseResponse, and no code outside app/shopify sends one", () => {
    const inShopify = shopifySources()
      .filter((f) => !UNPARSED_REQUESTS[rel(f)] && !rel(f).endsWith("graphql-client.ts"))
      .flatMap((f) => unparsedRequests(parse(f)).map((c) => `${rel(f)}: ${c}`));
    expect(inShopify).toEqual([]);
    const outside = sourceFiles(path.resolve("app"))
      .filter((f) => !rel(f).startsWith(SHOPIFY) && !/\.test\.tsx?$/.test(f))
      .flatMap((f) => {
        const sf = parse(f);
        const calls: string[] = [];
        walk(sf, (n) => {
          // `.request(` on anything: the Admin client is the only object in app/ with such a method.
          if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === "request")
            calls.push(`${rel(f)}: ${n.getText(sf).slice(0, 80)}`);
        });
        return calls;
      });
    expect(outside).toEqual([]);
  });

  it("the scanners see what they are meant to see", () => {
    const sf = ts.createSourceFile(
      "x.ts",
      `const a = (await c.request(Q)) as Payload; // x as y in a comment\nconst b = "p as q";\nconst k = ["a"] as const;\nconst d = parseResponse(S, await c.request(Q), "op");\nconst e = <T>data;\nconst f = await client.request(Q);\n`,
      ts.ScriptTarget.Latest,
      true,
    );
    expect(castsIn(sf)).toEqual(["(await c.request(Q)) as Payload", "<T>data"]);
    expect(unparsedRequests(sf)).toEqual(["c.request(Q)", "client.request(Q)"]);
  });
});
