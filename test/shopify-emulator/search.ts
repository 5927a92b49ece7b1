// Shopify search syntax subset: `field:value`, `field:>value`, `field:>=value`, `-field:value`,
// `NOT field:value`, terms joined by whitespace / AND (OR groups are supported one level deep).
export interface Term {
  field: string | null;
  op: "=" | ">" | ">=" | "<" | "<=" | ":";
  value: string;
  negate: boolean;
}
export type Clause = Term[]; // OR of terms
export interface ParsedQuery {
  clauses: Clause[];
  invalidFields: string[];
}

function tokenize(q: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < q.length) {
    while (i < q.length && /\s/.test(q[i]!)) i++;
    if (i >= q.length) break;
    let tok = "";
    while (i < q.length && !/\s/.test(q[i]!)) {
      const ch = q[i]!;
      if (ch === "'" || ch === '"') {
        const end = q.indexOf(ch, i + 1);
        const stop = end < 0 ? q.length : end;
        tok += q.slice(i + 1, stop);
        i = stop + 1;
      } else if (ch === "(" || ch === ")") {
        i++;
      } else {
        tok += ch;
        i++;
      }
    }
    if (tok) out.push(tok);
  }
  return out;
}

export function parseSearch(q: string | null | undefined, knownFields: readonly string[]): ParsedQuery {
  const clauses: Clause[] = [];
  const invalidFields: string[] = [];
  if (!q || !q.trim()) return { clauses, invalidFields };
  const toks = tokenize(q);
  let negateNext = false;
  let orNext = false;
  for (const tok of toks) {
    if (tok === "AND") continue;
    if (tok === "OR") {
      orNext = true;
      continue;
    }
    if (tok === "NOT") {
      negateNext = true;
      continue;
    }
    let t = tok;
    let negate = negateNext;
    negateNext = false;
    if (t.startsWith("-")) {
      negate = true;
      t = t.slice(1);
    }
    const colon = t.indexOf(":");
    let term: Term;
    if (colon > 0) {
      const field = t.slice(0, colon).toLowerCase();
      let rest = t.slice(colon + 1);
      let op: Term["op"] = ":";
      for (const o of [">=", "<=", ">", "<", "="] as const) {
        if (rest.startsWith(o)) {
          op = o;
          rest = rest.slice(o.length);
          break;
        }
      }
      term = { field, op, value: rest.replace(/^['"]|['"]$/g, ""), negate };
      if (!knownFields.includes(field)) {
        invalidFields.push(field);
        continue;
      }
    } else {
      term = { field: null, op: ":", value: t, negate };
    }
    if (orNext && clauses.length) clauses[clauses.length - 1]!.push(term);
    else clauses.push([term]);
    orNext = false;
  }
  return { clauses, invalidFields };
}

/** Compares a number (ms or plain number) against a term value. */
export function cmpNumber(actual: number, term: Term, parse: (s: string) => number): boolean {
  const v = parse(term.value);
  if (Number.isNaN(v)) return false;
  switch (term.op) {
    case ">":
      return actual > v;
    case ">=":
      return actual >= v;
    case "<":
      return actual < v;
    case "<=":
      return actual <= v;
    default:
      return actual === v;
  }
}

export function parseDateValue(s: string, now: number): number {
  if (s === "now") return now;
  const rel = /^-(\d+)(d|h|w|m|y)$/.exec(s);
  if (rel) {
    const n = Number(rel[1]);
    const unit = { d: 86400e3, h: 3600e3, w: 7 * 86400e3, m: 30 * 86400e3, y: 365 * 86400e3 }[rel[2] as "d"];
    return now - n * unit;
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return Date.parse(s + "T00:00:00Z");
  return Date.parse(s);
}

export function matches(parsed: ParsedQuery, test: (t: Term) => boolean): boolean {
  for (const clause of parsed.clauses) {
    let ok = false;
    for (const t of clause) {
      const r = test(t);
      if (t.negate ? !r : r) {
        ok = true;
        break;
      }
    }
    if (!ok) return false;
  }
  return true;
}
