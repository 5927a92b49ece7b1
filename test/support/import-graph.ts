import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/**
 * The import graph of TypeScript sources, read from the text (no bundler, no madge at test time):
 * static imports and re-exports (type-only ones too: madge counts them, and a type cycle is a
 * design cycle), side-effect imports and dynamic `import("…")`. Relative specifiers and the
 * tsconfig alias `~/` (→ app/) are resolved to files; packages and assets (`.css?url`) are not
 * part of the graph.
 */
export interface ImportEdge {
  from: string;
  to: string;
  dynamic: boolean;
}

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return /\.tsx?$/.test(n) && !/\.d\.ts$/.test(n) ? [p] : [];
  });
}

const STATIC = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?["']([^"'\n]+)["']/g;
const DYNAMIC = /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g;

/**
 * The source with its comments blanked (a comment that mentions `import("…")` is no import).
 * String and template literals are skipped as they are, so "https://…" is not taken for a comment.
 */
export function stripComments(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === "/" && n === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && n === "*") {
      const end = src.indexOf("*/", i + 2);
      i = end < 0 ? src.length : end + 2;
      out += " ";
    } else if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Every import specifier of a source text (comments ignored), with whether it is a dynamic import(). */
export function importSpecifiers(source: string): Array<{ spec: string; dynamic: boolean }> {
  const src = stripComments(source);
  return [
    ...[...src.matchAll(STATIC)].map((m) => ({ spec: m[1]!, dynamic: false })),
    ...[...src.matchAll(DYNAMIC)].map((m) => ({ spec: m[1]!, dynamic: true })),
  ];
}

/** The file a specifier names, or null for a package; `unresolved` for a local path that names no source. */
export function resolveSpecifier(fromFile: string, spec: string, root: string): string | null | "unresolved" {
  const bare = spec.replace(/\?.*$/, "");
  let base: string;
  if (bare.startsWith(".")) base = path.resolve(path.dirname(fromFile), bare);
  else if (bare.startsWith("~/")) base = path.resolve(root, "app", bare.slice(2));
  else return null;
  // Assets (stylesheets, images) are not modules of the graph.
  if (/\.(css|svg|png|jpe?g|json)$/.test(bare)) return null;
  const candidates = [base, `${base}.ts`, `${base}.tsx`, path.join(base, "index.ts"), path.join(base, "index.tsx")];
  for (const c of candidates) if (/\.tsx?$/.test(c) && existsSync(c) && statSync(c).isFile()) return c;
  return "unresolved";
}

export function importGraph(files: string[], root: string): { edges: ImportEdge[]; unresolved: string[] } {
  const edges: ImportEdge[] = [];
  const unresolved: string[] = [];
  for (const f of files) {
    for (const { spec, dynamic } of importSpecifiers(readFileSync(f, "utf8"))) {
      const to = resolveSpecifier(f, spec, root);
      if (to === "unresolved") unresolved.push(`${path.relative(root, f)} -> ${spec}`);
      else if (to) edges.push({ from: f, to, dynamic });
    }
  }
  return { edges, unresolved };
}

/** Strongly connected components with more than one file, or a file importing itself: each is an import cycle. */
export function importCycles(files: string[], edges: ImportEdge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  // Tarjan's algorithm, iterative (a deep import chain must not overflow the stack).
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  for (const start of next.keys()) {
    if (idx.has(start)) continue;
    const work: Array<{ v: string; i: number }> = [{ v: start, i: 0 }];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1]!;
      const ns = next.get(top.v) ?? [];
      if (top.i < ns.length) {
        const w = ns[top.i++]!;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push({ v: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.v, Math.min(low.get(top.v)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1]!.v;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.v)!));
      }
      if (low.get(top.v) === idx.get(top.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        if (comp.length > 1 || ns.includes(top.v)) out.push(comp.sort());
      }
    }
  }
  return out;
}
