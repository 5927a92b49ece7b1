import type { AddressInfo } from "node:net";
import nodemailer, { type Transporter } from "nodemailer";
import { SMTPServer } from "smtp-server";
import type { Sql } from "../../app/db/sql";

export const SHOP = "messaging-test.myshopify.com";
export const SECRET = "messaging-test-secret";
export const APP_URL = "https://winback.test";

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface TestSmtp {
  port: number;
  mails: ReceivedMail[];
  transport: Transporter;
  /** Recipients the server refuses with this SMTP reply code (e.g. 550 permanent, 451 transient). */
  refuse: Map<string, number>;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on a random port and a nodemailer transport pointing at it. */
export async function startSmtp(): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const refuse = new Map<string, number>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, cb) {
      const code = refuse.get(address.address);
      if (code) {
        const err = new Error(`Recipient refused by test server`) as Error & { responseCode?: number };
        err.responseCode = code;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        cb();
      });
    },
  });
  // A client that dies mid-session (the two-instance test kill -9s an app with pooled SMTP
  // connections open) resets its socket; smtp-server reports that as a server 'error' event, which
  // without a listener is an uncaught exception in the test process. A reset connection is no fault
  // of the sink: what matters is which mails arrived.
  server.on("error", (e: Error & { code?: string }) => {
    if (e.code !== "ECONNRESET" && e.code !== "EPIPE") throw e;
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.server.address() as AddressInfo).port;
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
  return {
    port,
    mails,
    transport,
    refuse,
    async close() {
      transport.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface ParsedMail {
  headers: Map<string, string>;
  header(name: string): string | undefined;
  text: string;
  html: string;
}

function decodePart(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? "7bit").toLowerCase();
  if (enc === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (enc === "quoted-printable") {
    const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}

function splitHeaders(raw: string): { headers: Map<string, string>; body: string } {
  const idx = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, idx).replace(/\r?\n[ \t]+/g, " "); // unfold
  const body = raw.slice(idx).replace(/^\r?\n\r?\n/, "");
  const headers = new Map<string, string>();
  for (const line of head.split(/\r?\n/)) {
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (m) headers.set(m[1]!.toLowerCase(), m[2]!);
  }
  return { headers, body };
}

/** Enough MIME to read what nodemailer writes: headers, and text/html parts (QP or base64). */
export function parseMail(raw: string): ParsedMail {
  const { headers, body } = splitHeaders(raw);
  let text = "";
  let html = "";
  const walk = (h: Map<string, string>, b: string) => {
    const ct = h.get("content-type") ?? "text/plain";
    const boundary = /boundary="?([^";]+)"?/i.exec(ct)?.[1];
    if (/^multipart\//i.test(ct) && boundary) {
      for (const part of b.split(`--${boundary}`).slice(1)) {
        if (part.startsWith("--")) break;
        const p = splitHeaders(part.replace(/^\r?\n/, ""));
        walk(p.headers, p.body);
      }
      return;
    }
    const decoded = decodePart(b, h.get("content-transfer-encoding"));
    if (/^text\/html/i.test(ct)) html += decoded;
    else if (/^text\/plain/i.test(ct)) text += decoded;
  };
  walk(headers, body);
  return { headers, header: (n) => headers.get(n.toLowerCase()), text, html };
}

/** The postal address every marketing email must carry (ADR 080); seeded unless the test passes its own `messaging`. */
export const POSTAL_ADDRESS = "Fern & Fig\nHauptstraße 1\n10115 Berlin\nGermany";

export async function seedShop(sql: Sql, shop = SHOP, settings: Record<string, unknown> = {}) {
  settings = { messaging: { postalAddress: POSTAL_ADDRESS }, ...settings };
  await sql.query(
    `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", settings, "updatedAt") VALUES ($1, 'Fern & Fig', 'EUR', 'Europe/Berlin', $2::jsonb, now())
     ON CONFLICT (domain) DO UPDATE SET settings = excluded.settings`,
    [shop, JSON.stringify(settings)],
  );
}

export async function seedCustomer(sql: Sql, id: string, opts: { email?: string | null; consent?: string | null; shop?: string } = {}) {
  await sql.query(
    `INSERT INTO "Customer" (shop, id, email, "firstName", "emailConsent") VALUES ($1, $2, $3, 'Ada', $4)
     ON CONFLICT (shop, id) DO UPDATE SET email = excluded.email, "emailConsent" = excluded."emailConsent"`,
    [
      opts.shop ?? SHOP,
      id,
      opts.email === undefined ? `c${id}@example.com` : opts.email,
      opts.consent === undefined ? "SUBSCRIBED" : opts.consent,
    ],
  );
}

export class Clock {
  constructor(public t = Date.parse("2026-11-20T09:00:00Z")) {}
  now = () => new Date(this.t);
  advanceHours(h: number) {
    this.t += h * 3_600_000;
  }
}
