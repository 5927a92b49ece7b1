import { copyText } from "../../db/sql";
import { parseBulkLine } from "../../shopify/bulk/records";
import type { MalformedSample, ParseTask } from "../../shopify/jsonl/batch";
import { customerRows, lineRows, liveOrderRows, orderRows, stagedHead, type RenderedBatch, type RowTarget } from "./rows";

/**
 * A batch of bulk JSONL rendered as COPY text straight from its bytes (docs/decisions/107-sync-floor.md):
 * the parse worker's work (app/sync/download/worker.ts) without JSON.parse, object trees or
 * per-value strings.
 *
 * Profiled on the benchmark's export, the worker spent 43% of its time collecting garbage and 29%
 * in JSON.parse: every line became an object tree and a dozen strings, all alive until the batch was
 * rendered. This scanner reads each line's bytes once, checks them against the shapes the fast path
 * of app/shopify/bulk/records.ts accepts, and copies the values' bytes into the COPY text.
 *
 * Exact by refusing: it accepts only a line whose rows it can be sure of, and hands any other line,
 * at its place, to the original path (decode, parseBulkLine, the renderers of rows.ts), which gives
 * it its row, or its malformed count and message, exactly as before. Refused (so taken by the
 * original path): any backslash (JSON escapes, and the COPY escaping their values may need),
 * control characters, invalid UTF-8, a repeated key, a number that is not a plain integer of at most
 * 15 digits, a date with an offset other than Z for the live tables (utcTimestamp does that
 * arithmetic), a value of another type than the fast path accepts, an id that is not a GID of an
 * order, line item or customer, a byte order mark, nesting deeper than 64. A JSON string without
 * escapes or control characters is its value's UTF-8, and none of its bytes needs COPY escaping,
 * so copying them gives the text rows.ts renders; test/sync/scan.test.ts holds the two to the same
 * output on generated and awkward lines.
 */
export function renderBatchBytes(task: ParseTask & { target: RowTarget }): RenderedBatch {
  const { bytes, firstLine, maxSamples, target } = task;
  const staged = target.kind === "staged";
  const headText = staged ? stagedHead(target.runId, target.shop) : `${copyText(target.shop)}\t`;
  const head = utf8.encode(headText);
  const orders = outOrders.reset();
  const lines = outLines.reset();
  const customers = outCustomers.reset();
  const newlines = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength); // indexOf is memchr
  let orderCount = 0,
    lineRowCount = 0,
    customerCount = 0,
    lineCount = 0,
    malformedCount = 0;
  const samples: MalformedSample[] = [];
  B = bytes;
  let next = 0;
  while (next < bytes.length) {
    const nl = newlines.indexOf(10, next);
    const start = next;
    let end = nl === -1 ? bytes.length : nl;
    next = end + 1;
    const index = lineCount++;
    if (end > start && bytes[end - 1] === 13) end--; // CRLF
    if (end === start) continue; // an empty line
    const room = end - start + head.length + 128;
    const kind = scanLine(start, end);
    if (kind === ORDER && orderValid(!staged)) {
      orders.ensure(room);
      if (staged) renderStagedOrder(orders, head);
      else renderLiveOrder(orders, head);
      orderCount++;
      continue;
    }
    if (kind === LINE && lineValid()) {
      lines.ensure(room);
      renderLine(lines, head);
      lineRowCount++;
      continue;
    }
    if (kind === CUSTOMER && customerValid()) {
      if (staged) {
        customers.ensure(room);
        renderCustomer(customers, head);
        customerCount++;
      }
      continue;
    }
    // The original path, for this line only (parseJsonlBatch + renderBatch, line by line).
    const text = (index === 0 && firstLine === 1 ? fileStartDecoder : lineDecoder).decode(bytes.subarray(start, end));
    if (text.length < 4 && text.trim() === "") continue;
    const p = parseBulkLine(text);
    if (!p.ok) {
      malformedCount++;
      if (samples.length < maxSamples) samples.push({ line: firstLine + index, error: p.error.slice(0, 300) });
      continue;
    }
    const r = p.record;
    if (r.kind === "order") {
      orders.append(staged ? orderRows([r], headText) : liveOrderRows([r], headText));
      orderCount++;
    } else if (r.kind === "line") {
      lines.append(lineRows([r], headText));
      lineRowCount++;
    } else if (staged) {
      customers.append(customerRows([r], headText));
      customerCount++;
    }
  }
  B = EMPTY;
  return {
    orders: orders.text(),
    lines: lines.text(),
    customers: staged ? customers.text() : "",
    orderCount,
    lineRowCount,
    customerCount,
    lineCount,
    malformedCount,
    samples,
  };
}

const utf8 = new TextEncoder();
const decoder = new TextDecoder();
/** A batch's first line at the start of the file drops a byte order mark, as decoding the whole file would. */
const fileStartDecoder = new TextDecoder("utf-8");
const lineDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const EMPTY = new Uint8Array(0);

/**
 * A growing byte buffer of COPY text; `ensure` once per row, then the renderers write unchecked.
 * One per table, reused from batch to batch (the text leaves as a string): it settles at a batch's
 * size instead of allocating and zeroing three batch-sized buffers per batch.
 */
class Out {
  buf = new Uint8Array(1 << 16);
  n = 0;
  reset(): this {
    this.n = 0;
    return this;
  }
  ensure(more: number) {
    if (this.n + more <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + more));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  append(s: string) {
    this.ensure(s.length * 3);
    this.n += utf8.encodeInto(s, this.buf.subarray(this.n)).written;
  }
  text(): string {
    return this.n ? decoder.decode(this.buf.subarray(0, this.n)) : "";
  }
}

const outOrders = new Out();
const outLines = new Out();
const outCustomers = new Out();

// ---- the scanner: state of the line being read -------------------------------------------------

let B: Uint8Array = EMPTY; // the batch
let P = 0; // position in it
let E = 0; // end of the current line

// Slots of string values: start and end of the value's bytes (without quotes), or ABSENT / NULL.
const ABSENT = -1;
const NULL = -2;
const ID = 0,
  NAME = 1,
  PROCESSED = 2,
  CREATED = 3,
  UPDATED = 4,
  CANCELLED = 5,
  FINANCIAL = 6,
  CUR_AMOUNT = 7,
  CUR_CODE = 8,
  TOT_AMOUNT = 9,
  CUSTOMER_ID = 10,
  QUANTITY = 11,
  PRODUCT_ID = 12,
  PRODUCT_TYPE = 13,
  VENDOR = 14,
  TITLE = 15,
  VARIANT_ID = 16,
  PRICE_AMOUNT = 17,
  PARENT = 18,
  FIRST = 19,
  LAST = 20,
  EMAIL = 21,
  EMAIL_STATE = 22,
  PHONE = 23,
  PHONE_STATE = 24,
  SLOTS = 25;
const S = new Int32Array(SLOTS);
const F = new Int32Array(SLOTS);
// Top-level keys seen (a repeated one is refused: JSON.parse would keep the last) and those that were null.
let seen = 0;
let nulls = 0;
let testValue = false;
// String arrays: discount codes and tags, as start/end pairs.
const MAX_ITEMS = 256;
const codeStart = new Int32Array(MAX_ITEMS);
const codeEnd = new Int32Array(MAX_ITEMS);
let codeCount = 0;
const tagStart = new Int32Array(MAX_ITEMS);
const tagEnd = new Int32Array(MAX_ITEMS);
let tagCount = 0;

const ORDER = 1,
  LINE = 2,
  CUSTOMER = 3,
  REFUSED = 0;

/** Keys matched by length, then bytes. */
function keyTable(keys: string[]): Array<Array<[Uint8Array, number]>> {
  const t: Array<Array<[Uint8Array, number]>> = [];
  keys.forEach((k, i) => (t[k.length] ??= []).push([utf8.encode(k), i]));
  return t;
}
function matchKey(table: Array<Array<[Uint8Array, number]> | undefined>, s: number, e: number): number {
  const c = table[e - s];
  if (!c) return -1;
  next: for (let j = 0; j < c.length; j++) {
    const k = c[j]![0];
    for (let i = 0; i < k.length; i++) if (B[s + i] !== k[i]) continue next;
    return c[j]![1];
  }
  return -1;
}
const TOP = keyTable([
  "id", // 0
  "name",
  "processedAt",
  "createdAt",
  "updatedAt",
  "cancelledAt", // 5
  "test",
  "displayFinancialStatus",
  "currentTotalPriceSet",
  "totalPriceSet",
  "discountCodes", // 10
  "customer",
  "quantity",
  "product",
  "variant",
  "originalUnitPriceSet", // 15
  "__parentId",
  "firstName",
  "lastName",
  "tags",
  "defaultEmailAddress", // 20
  "defaultPhoneNumber",
]);
const bit = (k: number) => 1 << k;
const PRICE_SET = keyTable(["shopMoney"]);
const MONEY = keyTable(["amount", "currencyCode"]);
const ID_ONLY = keyTable(["id"]);
const PRODUCT = keyTable(["id", "productType", "vendor", "title"]);
const EMAIL_KEYS = keyTable(["emailAddress", "marketingState"]);
const PHONE_KEYS = keyTable(["phoneNumber", "marketingState"]);

function ws() {
  while (P < E) {
    const c = B[P]!;
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return;
    P++;
  }
}

// A string without escapes or control characters, valid UTF-8; sets strS/strE to its bytes.
let strS = 0;
let strE = 0;
function str(): boolean {
  if (B[P] !== 34) return false;
  const s = ++P;
  while (P < E) {
    const c = B[P]!;
    if (c === 34) {
      strS = s;
      strE = P++;
      return true;
    }
    if (c === 92 || c < 32) return false;
    if (c < 128) {
      P++;
      continue;
    }
    // UTF-8 as the WHATWG decoder accepts it (no overlongs, surrogates or code points past U+10FFFF).
    let lo = 0x80,
      hi = 0xbf,
      more: number;
    if (c >= 0xc2 && c <= 0xdf) more = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else return false;
    if (P + more >= E) return false;
    const c1 = B[P + 1]!;
    if (c1 < lo || c1 > hi) return false;
    for (let i = 2; i <= more; i++) {
      const ci = B[P + i]!;
      if (ci < 0x80 || ci > 0xbf) return false;
    }
    P += more + 1;
  }
  return false;
}

function literal(word: Uint8Array): boolean {
  if (P + word.length > E) return false;
  for (let i = 0; i < word.length; i++) if (B[P + i] !== word[i]) return false;
  P += word.length;
  return true;
}
const NULL_W = utf8.encode("null");
const TRUE_W = utf8.encode("true");
const FALSE_W = utf8.encode("false");

/** A string or null into a slot. */
function strOrNull(slot: number): boolean {
  if (B[P] === 110) {
    if (!literal(NULL_W)) return false;
    S[slot] = NULL;
    return true;
  }
  if (!str()) return false;
  S[slot] = strS;
  F[slot] = strE;
  return true;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Any JSON value, checked and passed over (keys the fast path does not read). */
function skip(depth: number): boolean {
  if (depth > 64 || P >= E) return false;
  const c = B[P]!;
  if (c === 34) return str();
  if (c === 123 || c === 91) {
    const close = c === 123 ? 125 : 93;
    P++;
    ws();
    if (B[P] === close) {
      P++;
      return true;
    }
    for (;;) {
      if (c === 123) {
        if (!str()) return false;
        ws();
        if (B[P] !== 58) return false;
        P++;
        ws();
      }
      if (!skip(depth + 1)) return false;
      ws();
      if (B[P] === 44) {
        P++;
        ws();
        continue;
      }
      if (B[P] !== close) return false;
      P++;
      return true;
    }
  }
  if (c === 116) return literal(TRUE_W);
  if (c === 102) return literal(FALSE_W);
  if (c === 110) return literal(NULL_W);
  // number: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
  if (c === 45) P++;
  if (B[P] === 48) P++;
  else if (P < E && isDigit(B[P]!)) while (P < E && isDigit(B[P]!)) P++;
  else return false;
  if (B[P] === 46) {
    P++;
    if (!(P < E && isDigit(B[P]!))) return false;
    while (P < E && isDigit(B[P]!)) P++;
  }
  if (B[P] === 101 || B[P] === 69) {
    P++;
    if (B[P] === 43 || B[P] === 45) P++;
    if (!(P < E && isDigit(B[P]!))) return false;
    while (P < E && isDigit(B[P]!)) P++;
  }
  return true;
}

/**
 * An object whose keys go to `onKey` (it reads the value, returning false to refuse); other keys are
 * skipped; a key seen twice is refused. `null` instead of the object: returns NULL when allowed.
 */
function object(table: Array<Array<[Uint8Array, number]>>, onKey: (k: number) => boolean): boolean {
  if (B[P] !== 123) return false;
  P++;
  ws();
  if (B[P] === 125) {
    P++;
    return true;
  }
  let keys = 0;
  for (;;) {
    if (!str()) return false;
    const k = matchKey(table, strS, strE);
    ws();
    if (B[P] !== 58) return false;
    P++;
    ws();
    if (k === -1) {
      if (!skip(1)) return false;
    } else {
      if (keys & bit(k)) return false;
      keys |= bit(k);
      if (!onKey(k)) return false;
    }
    ws();
    if (B[P] === 44) {
      P++;
      ws();
      continue;
    }
    if (B[P] !== 125) return false;
    P++;
    return true;
  }
}

let amountSlot = 0;
let codeSlot = -1;
const onMoney = (k: number) => (k === 0 ? str() && setSlot(amountSlot) : codeSlot >= 0 ? strOrNull(codeSlot) : skip(1));
const onPriceSet = () => object(MONEY, onMoney);
function priceSet(amount: number, code: number): boolean {
  amountSlot = amount;
  codeSlot = code;
  return object(PRICE_SET, onPriceSet);
}
function setSlot(slot: number): boolean {
  S[slot] = strS;
  F[slot] = strE;
  return true;
}
let idSlot = 0;
const onIdOnly = () => str() && setSlot(idSlot);
const onProduct = (k: number) => (k === 0 ? str() && setSlot(PRODUCT_ID) : strOrNull(k === 1 ? PRODUCT_TYPE : k === 2 ? VENDOR : TITLE));
const onEmail = (k: number) => strOrNull(k === 0 ? EMAIL : EMAIL_STATE);
const onPhone = (k: number) => strOrNull(k === 0 ? PHONE : PHONE_STATE);

/** An object value that may be null (its key's bit in `nulls`). */
function nullableObject(key: number, table: Array<Array<[Uint8Array, number]>>, onKey: (k: number) => boolean): boolean {
  if (B[P] === 110) {
    nulls |= bit(key);
    return literal(NULL_W);
  }
  return object(table, onKey);
}

function strings(starts: Int32Array, ends: Int32Array): number {
  if (B[P] !== 91) return -1;
  P++;
  ws();
  let n = 0;
  if (B[P] === 93) {
    P++;
    return 0;
  }
  for (;;) {
    if (n === MAX_ITEMS || !str()) return -1;
    starts[n] = strS;
    ends[n++] = strE;
    ws();
    if (B[P] === 44) {
      P++;
      ws();
      continue;
    }
    if (B[P] !== 93) return -1;
    P++;
    return n;
  }
}

/** A plain integer of at most 15 digits (what `${Number}` prints back unchanged); not -0. */
function integer(): boolean {
  const s = P;
  if (B[P] === 45) P++;
  const d = P;
  if (B[P] === 48) P++;
  else while (P < E && isDigit(B[P]!)) P++;
  if (P === d || P - d > 15 || (B[P - 1] === 48 && P - d === 1 && d > s)) return false;
  const c = B[P];
  if (c === 46 || c === 101 || c === 69 || (P < E && isDigit(c!))) return false;
  S[QUANTITY] = s;
  F[QUANTITY] = P;
  return true;
}

function topValue(k: number): boolean {
  switch (k) {
    case 0:
      return str() && setSlot(ID);
    case 1:
      return strOrNull(NAME);
    case 2:
      return strOrNull(PROCESSED);
    case 3:
      return strOrNull(CREATED);
    case 4:
      return strOrNull(UPDATED);
    case 5:
      return strOrNull(CANCELLED);
    case 6:
      testValue = B[P] === 116;
      return literal(testValue ? TRUE_W : FALSE_W);
    case 7:
      return strOrNull(FINANCIAL);
    case 8:
      return priceSet(CUR_AMOUNT, CUR_CODE);
    case 9:
      return priceSet(TOT_AMOUNT, -1);
    case 10:
      return (codeCount = strings(codeStart, codeEnd)) >= 0;
    case 11:
      idSlot = CUSTOMER_ID;
      return nullableObject(k, ID_ONLY, onIdOnly);
    case 12:
      return integer();
    case 13:
      return nullableObject(k, PRODUCT, onProduct);
    case 14:
      idSlot = VARIANT_ID;
      return nullableObject(k, ID_ONLY, onIdOnly);
    case 15:
      return priceSet(PRICE_AMOUNT, -1);
    case 16:
      return str() && setSlot(PARENT);
    case 17:
      return strOrNull(FIRST);
    case 18:
      return strOrNull(LAST);
    case 19:
      return (tagCount = strings(tagStart, tagEnd)) >= 0;
    case 20:
      return nullableObject(k, EMAIL_KEYS, onEmail);
    case 21:
      return nullableObject(k, PHONE_KEYS, onPhone);
  }
  return false;
}

/** Reads one line into the slots; ORDER, LINE or CUSTOMER by its id's GID type, or REFUSED. */
function scanLine(start: number, end: number): number {
  P = start;
  E = end;
  S.fill(ABSENT);
  seen = 0;
  nulls = 0;
  codeCount = 0;
  tagCount = 0;
  ws();
  if (B[P] !== 123) return REFUSED;
  P++;
  ws();
  if (B[P] === 125) return REFUSED; // no id
  for (;;) {
    if (!str()) return REFUSED;
    const k = matchKey(TOP, strS, strE);
    ws();
    if (B[P] !== 58) return REFUSED;
    P++;
    ws();
    if (k === -1) {
      if (!skip(1)) return REFUSED;
    } else {
      if (seen & bit(k)) return REFUSED;
      seen |= bit(k);
      if (!topValue(k)) return REFUSED;
    }
    ws();
    if (B[P] === 44) {
      P++;
      ws();
      continue;
    }
    if (B[P] !== 125) return REFUSED;
    P++;
    break;
  }
  ws();
  if (P !== E) return REFUSED;
  if (gidDigits(ID, ORDER_GID) >= 0) return ORDER;
  if (gidDigits(ID, LINE_GID) >= 0) return LINE;
  if (gidDigits(ID, CUSTOMER_GID) >= 0) return CUSTOMER;
  return REFUSED;
}

const ORDER_GID = utf8.encode("gid://shopify/Order/");
const LINE_GID = utf8.encode("gid://shopify/LineItem/");
const CUSTOMER_GID = utf8.encode("gid://shopify/Customer/");
const PRODUCT_GID = utf8.encode("gid://shopify/Product/");
const VARIANT_GID = utf8.encode("gid://shopify/ProductVariant/");

/** Where the digits of a slot's GID of the given type start (records.ts gidId), or -1. */
function gidDigits(slot: number, prefix: Uint8Array): number {
  const s = S[slot]!;
  if (s < 0) return -1;
  const e = F[slot]!;
  const d = s + prefix.length;
  if (e <= d) return -1;
  for (let i = 0; i < prefix.length; i++) if (B[s + i] !== prefix[i]) return -1;
  for (let i = d; i < e; i++) if (!isDigit(B[i]!)) return -1;
  return d;
}

/** records.ts DATE_RE: 1 when it ends in Z, 2 with another offset, 0 when it is no such date. */
function dateKind(slot: number): number {
  const s = S[slot]!;
  if (s < 0) return 0;
  const e = F[slot]!;
  if (e - s < 20) return 0;
  for (let i = 0; i < 19; i++) {
    const c = B[s + i]!;
    const want = i === 4 || i === 7 ? 45 : i === 10 ? 84 : i === 13 || i === 16 ? 58 : -1;
    if (want === -1 ? !isDigit(c) : c !== want) return 0;
  }
  let i = s + 19;
  if (B[i] === 46) {
    const f = ++i;
    while (i < e && isDigit(B[i]!)) i++;
    if (i === f) return 0;
  }
  if (i === e - 1 && B[i] === 90) return 1;
  if (
    i === e - 6 &&
    (B[i] === 43 || B[i] === 45) &&
    isDigit(B[i + 1]!) &&
    isDigit(B[i + 2]!) &&
    B[i + 3] === 58 &&
    isDigit(B[i + 4]!) &&
    isDigit(B[i + 5]!)
  )
    return 2;
  return 0;
}

/** records.ts MONEY_RE: -?\d+(\.\d+)? */
function money(slot: number): boolean {
  let i = S[slot]!;
  if (i < 0) return false;
  const e = F[slot]!;
  if (B[i] === 45) i++;
  const d = i;
  while (i < e && isDigit(B[i]!)) i++;
  if (i === d) return false;
  if (i === e) return true;
  if (B[i] !== 46) return false;
  const f = ++i;
  while (i < e && isDigit(B[i]!)) i++;
  return i > f && i === e;
}

const present = (k: number) => (seen & bit(k)) !== 0 && (nulls & bit(k)) === 0;
// A date the fast path accepts; for the live tables only a Z date (others go through utcTimestamp).
const dateOk = (slot: number, live: boolean) => {
  const d = dateKind(slot);
  return live ? d === 1 : d !== 0;
};

/** records.ts fastOrder's checks. */
function orderValid(live: boolean): boolean {
  if (!dateOk(PROCESSED, live) || !dateOk(CREATED, live) || !dateOk(UPDATED, live)) return false;
  if (S[CANCELLED]! >= 0 && !dateOk(CANCELLED, live)) return false;
  if (!(seen & bit(6)) || !(seen & bit(10))) return false; // test, discountCodes
  if (!money(CUR_AMOUNT) || S[CUR_CODE]! < 0 || F[CUR_CODE] === S[CUR_CODE] || !money(TOT_AMOUNT)) return false;
  if (present(11) && gidDigits(CUSTOMER_ID, CUSTOMER_GID) < 0) return false;
  return true;
}

/** records.ts fastLine's checks. */
function lineValid(): boolean {
  if (gidDigits(PARENT, ORDER_GID) < 0 || S[QUANTITY]! < 0 || !money(PRICE_AMOUNT)) return false;
  if (present(13) && gidDigits(PRODUCT_ID, PRODUCT_GID) < 0) return false;
  if (present(14) && gidDigits(VARIANT_ID, VARIANT_GID) < 0) return false;
  return true;
}

/** records.ts fastCustomer's checks. */
function customerValid(): boolean {
  if (!(seen & bit(19))) return false; // tags
  if (S[UPDATED]! >= 0 && dateKind(UPDATED) === 0) return false;
  return true;
}

// ---- rendering: the same text as rows.ts, byte for byte -----------------------------------------

const TAB = 9;
function copy(o: Out, s: number, e: number) {
  const b = o.buf;
  let n = o.n;
  for (let i = s; i < e; i++) b[n++] = B[i]!;
  o.n = n;
}
function put(o: Out, c: number) {
  o.buf[o.n++] = c;
}
function putNull(o: Out) {
  o.buf[o.n++] = 92; // \N
  o.buf[o.n++] = 78;
}
/** A string slot as copyText renders it (no escaping needed, see above), \N for null or absent. */
function text(o: Out, slot: number) {
  const s = S[slot]!;
  if (s < 0) putNull(o);
  else copy(o, s, F[slot]!);
}
function gid(o: Out, slot: number, prefix: Uint8Array) {
  copy(o, S[slot]! + prefix.length, F[slot]!);
}
function putHead(o: Out, head: Uint8Array) {
  o.buf.set(head, o.n);
  o.n += head.length;
}

function renderOrderStart(o: Out, head: Uint8Array) {
  putHead(o, head);
  gid(o, ID, ORDER_GID);
  put(o, TAB);
  if (present(11)) gid(o, CUSTOMER_ID, CUSTOMER_GID);
  else putNull(o);
  put(o, TAB);
  text(o, NAME);
  put(o, TAB);
}
function renderOrderEnd(o: Out) {
  put(o, testValue ? 116 : 102);
  put(o, TAB);
  text(o, FINANCIAL);
  put(o, TAB);
  text(o, CUR_AMOUNT);
  put(o, TAB);
  text(o, TOT_AMOUNT);
  put(o, TAB);
  text(o, CUR_CODE);
  put(o, TAB);
}

/** rows.ts orderRows: dates as written, codes joined with LIST_SEP. */
function renderStagedOrder(o: Out, head: Uint8Array) {
  renderOrderStart(o, head);
  for (const slot of [PROCESSED, CREATED, UPDATED, CANCELLED]) {
    text(o, slot);
    put(o, TAB);
  }
  renderOrderEnd(o);
  for (let i = 0; i < codeCount; i++) {
    if (i) put(o, 0x1f);
    copy(o, codeStart[i]!, codeEnd[i]!);
  }
  put(o, 10);
}

/** rows.ts liveOrderRows: Z dates without their Z (orderValid let no other through), codes as a text[] literal. */
function renderLiveOrder(o: Out, head: Uint8Array) {
  renderOrderStart(o, head);
  for (const slot of [PROCESSED, CREATED, UPDATED, CANCELLED]) {
    if (S[slot]! < 0) putNull(o);
    else copy(o, S[slot]!, F[slot]! - 1);
    put(o, TAB);
  }
  renderOrderEnd(o);
  put(o, 123);
  for (let i = 0; i < codeCount; i++) {
    if (i) put(o, 44);
    put(o, 34);
    copy(o, codeStart[i]!, codeEnd[i]!);
    put(o, 34);
  }
  put(o, 125);
  put(o, 10);
}

/** rows.ts lineRows. */
function renderLine(o: Out, head: Uint8Array) {
  putHead(o, head);
  gid(o, ID, LINE_GID);
  put(o, TAB);
  gid(o, PARENT, ORDER_GID);
  put(o, TAB);
  if (present(13)) gid(o, PRODUCT_ID, PRODUCT_GID);
  else putNull(o);
  put(o, TAB);
  if (present(14)) gid(o, VARIANT_ID, VARIANT_GID);
  else putNull(o);
  put(o, TAB);
  const product = present(13);
  for (const slot of [TITLE, PRODUCT_TYPE, VENDOR]) {
    if (product) text(o, slot);
    else putNull(o);
    put(o, TAB);
  }
  copy(o, S[QUANTITY]!, F[QUANTITY]!);
  put(o, TAB);
  text(o, PRICE_AMOUNT);
  put(o, 10);
}

/** rows.ts customerRows (staged only). */
function renderCustomer(o: Out, head: Uint8Array) {
  putHead(o, head);
  gid(o, ID, CUSTOMER_GID);
  put(o, TAB);
  const e = present(20);
  const p = present(21);
  for (const [slot, on] of [
    [EMAIL, e],
    [FIRST, true],
    [LAST, true],
    [PHONE, p],
    [EMAIL_STATE, e],
    [PHONE_STATE, p],
  ] as const) {
    if (on) text(o, slot);
    else putNull(o);
    put(o, TAB);
  }
  text(o, UPDATED);
  put(o, TAB);
  for (let i = 0; i < tagCount; i++) {
    if (i) put(o, 0x1f);
    copy(o, tagStart[i]!, tagEnd[i]!);
  }
  put(o, 10);
}
