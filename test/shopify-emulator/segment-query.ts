// ShopifyQL segment query language, the subset the emulator evaluates: customer_tags CONTAINS /
// NOT CONTAINS, number_of_orders / amount_spent comparisons, email_subscription_status, AND / OR /
// NOT and parentheses. Anything else is rejected with the error text Shopify uses, so an app
// never gets a segment here that the real API would refuse.
import { EMAIL_STATES } from "./generator";
import type { ShopState } from "./state";

export type SegmentExpr =
  | { kind: "and" | "or"; left: SegmentExpr; right: SegmentExpr }
  | { kind: "not"; expr: SegmentExpr }
  | { kind: "tags"; negate: boolean; tag: string }
  | { kind: "number"; field: "number_of_orders" | "amount_spent"; op: Cmp; value: number }
  | { kind: "email"; negate: boolean; state: string };

type Cmp = "=" | "!=" | ">" | ">=" | "<" | "<=";

export class SegmentQueryError extends Error {}

interface Tok {
  t: "word" | "str" | "num" | "op" | "lp" | "rp";
  v: string;
  col: number;
}

const KNOWN_FILTERS = new Set(["customer_tags", "number_of_orders", "amount_spent", "email_subscription_status"]);

function tokenize(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    if (c === "(") {
      out.push({ t: "lp", v: c, col });
      i++;
      continue;
    }
    if (c === ")") {
      out.push({ t: "rp", v: c, col });
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = "";
      while (j < q.length && q[j] !== c) {
        if (q[j] === "\\" && j + 1 < q.length) j++;
        s += q[j];
        j++;
      }
      if (j >= q.length) throw new SegmentQueryError(`Query Line 1 Column ${col}: unterminated string.`);
      out.push({ t: "str", v: s, col });
      i = j + 1;
      continue;
    }
    const op = /^(>=|<=|!=|=|>|<)/.exec(q.slice(i));
    if (op) {
      out.push({ t: "op", v: op[1]!, col });
      i += op[1]!.length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(q.slice(i));
    if (num) {
      out.push({ t: "num", v: num[0], col });
      i += num[0].length;
      continue;
    }
    const w = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(q.slice(i));
    if (w) {
      out.push({ t: "word", v: w[0], col });
      i += w[0].length;
      continue;
    }
    throw new SegmentQueryError(`Query Line 1 Column ${col}: Unexpected character '${c}'.`);
  }
  return out;
}

export function parseSegmentQuery(query: string): SegmentExpr {
  const toks = tokenize(query);
  let p = 0;
  const peek = () => toks[p];
  const isWord = (t: Tok | undefined, w: string) => t?.t === "word" && t.v.toUpperCase() === w;
  const endCol = () => query.length + 1;

  const parseOr = (): SegmentExpr => {
    let left = parseAnd();
    while (isWord(peek(), "OR")) {
      p++;
      left = { kind: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): SegmentExpr => {
    let left = parseUnary();
    while (isWord(peek(), "AND")) {
      p++;
      left = { kind: "and", left, right: parseUnary() };
    }
    return left;
  };
  const parseUnary = (): SegmentExpr => {
    if (isWord(peek(), "NOT")) {
      p++;
      return { kind: "not", expr: parseUnary() };
    }
    const t = peek();
    if (t?.t === "lp") {
      p++;
      const e = parseOr();
      if (peek()?.t !== "rp") throw new SegmentQueryError(`Query Line 1 Column ${peek()?.col ?? endCol()}: Missing closing parenthesis.`);
      p++;
      return e;
    }
    return parseCondition();
  };
  const parseCondition = (): SegmentExpr => {
    const f = peek();
    if (!f) throw new SegmentQueryError(`Query Line 1 Column ${endCol()}: Unexpected end of query.`);
    if (f.t !== "word" || !KNOWN_FILTERS.has(f.v))
      throw new SegmentQueryError(`Query Line 1 Column ${f.col}: '${f.v}' filter cannot be found.`);
    p++;
    const opCol = f.col + f.v.length;
    const field = f.v;
    if (field === "customer_tags") {
      let negate = false;
      if (isWord(peek(), "NOT")) {
        negate = true;
        p++;
      }
      const op = peek();
      if (!isWord(op, "CONTAINS"))
        throw new SegmentQueryError(`Query Line 1 Column ${opCol}: customer_tags does not support operator '${op?.v ?? ""}'`);
      p++;
      const v = peek();
      if (v?.t !== "str")
        throw new SegmentQueryError(`Query Line 1 Column ${v?.col ?? endCol()}: Expected a string value for customer_tags.`);
      p++;
      return { kind: "tags", negate, tag: v.v };
    }
    const op = peek();
    if (op?.t !== "op") throw new SegmentQueryError(`Query Line 1 Column ${opCol}: ${field} does not support operator '${op?.v ?? ""}'`);
    p++;
    const v = peek();
    if (field === "email_subscription_status") {
      if (op.v !== "=" && op.v !== "!=")
        throw new SegmentQueryError(`Query Line 1 Column ${opCol}: ${field} does not support operator '${op.v}'`);
      const state = v?.t === "str" || v?.t === "word" ? v.v.toUpperCase() : "";
      if (!(EMAIL_STATES as readonly string[]).includes(state))
        throw new SegmentQueryError(
          `Query Line 1 Column ${v?.col ?? endCol()}: '${v?.v ?? ""}' is not a valid value for email_subscription_status.`,
        );
      p++;
      return { kind: "email", negate: op.v === "!=", state };
    }
    if (v?.t !== "num") throw new SegmentQueryError(`Query Line 1 Column ${v?.col ?? endCol()}: Expected a number value for ${field}.`);
    p++;
    return { kind: "number", field: field as "number_of_orders" | "amount_spent", op: op.v as Cmp, value: Number(v.v) };
  };

  if (!toks.length) throw new SegmentQueryError("Query can't be blank");
  const e = parseOr();
  if (p < toks.length) throw new SegmentQueryError(`Query Line 1 Column ${toks[p]!.col}: Unexpected '${toks[p]!.v}'.`);
  return e;
}

function cmp(a: number, op: Cmp, b: number): boolean {
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
  }
}

/** Evaluated against the live shop state: a tag added after the segment was created counts. */
export function matchesSegment(shop: ShopState, c: number, e: SegmentExpr): boolean {
  const cs = shop.data.customers;
  switch (e.kind) {
    case "and":
      return matchesSegment(shop, c, e.left) && matchesSegment(shop, c, e.right);
    case "or":
      return matchesSegment(shop, c, e.left) || matchesSegment(shop, c, e.right);
    case "not":
      return !matchesSegment(shop, c, e.expr);
    case "tags": {
      const has = (cs.tags[c] ?? []).some((t) => t.toLowerCase() === e.tag.toLowerCase());
      return e.negate ? !has : has;
    }
    case "number":
      return cmp(e.field === "number_of_orders" ? cs.ordersCount[c]! : cs.spentCents[c]! / 100, e.op, e.value);
    case "email": {
      const s = cs.email(c) ? EMAIL_STATES[cs.emailState[c]!] : undefined;
      return e.negate ? s !== e.state : s === e.state;
    }
  }
}
