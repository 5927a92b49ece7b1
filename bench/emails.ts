// Email throughput: TEST_DATABASE_URL=postgres://… npx tsx bench/emails.ts [--n 20000] [--concurrency 1,8,32] [--baseline-n 2000]
//   [--campaign-concurrency 32] [--smtp-options maxConnections=10]
// Seeds N consenting customers in a throwaway PostgreSQL database, starts a counting SMTP sink in its
// own process (bench/smtp-sink.ts), and sends one Day-0 win-back email to each customer through the
// real messenger (consent, caps, dedupe claim, composition in the shop's locale, unsubscribe token,
// nodemailer), `concurrency` sendEmail calls in flight as the campaign batch job runs them. For each
// concurrency it prints emails/s and per-email latency with the app's pooled transport, then the same
// run (the first `baseline-n` customers) with a transport that opens a new SMTP connection per email
// (how nodemailer behaves without `pool`) and the ratio. Each run moves the messenger's clock 31 days
// on, so the 48 h frequency cap and the 30-day contact cap of earlier runs do not skip anyone.
// The last line is the run at the campaign job's concurrency (--campaign-concurrency, default 32).
//
// bench/scale.ts imports `benchEmails` to run the same measurement on its own data.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { createInterface, type Interface } from "node:readline";
import { parseArgs } from "node:util";
import nodemailer, { type Transporter } from "nodemailer";
import pg from "pg";
import { openDatabase } from "../app/db/open";
import type { Sql } from "../app/db/sql";
import { createMailTransport } from "../app/messaging/mail-transport.server";
import { createMessenger, SHOP_CONTEXT_TTL_MS } from "../app/messaging/messenger";
import type { OutboundEmail } from "../app/messaging/types";

export interface BenchEmailsOptions {
  sql: Sql;
  /** The shop must exist with a postal address in its messaging settings (seedBenchShop does that). */
  shop: string;
  /** Customers to email, each once (consenting, with an address, else they count as skipped). */
  customerIds: string[];
  /** e.g. smtp://127.0.0.1:2525 (startSmtpSink). */
  smtpUrl: string;
  /** sendEmail calls in flight at once. */
  concurrency: number;
  /** "pooled": the app's transport (mail-transport.server.ts); "per-email": a new SMTP connection per email (the baseline). */
  transport?: "pooled" | "per-email";
  /** Part of every dedupe key: a second run with the same tag answers `duplicate`. Default: random. */
  runTag?: string;
  /** The messenger's clock (default: real time). Move it on between runs over the same customers, or the caps skip them. */
  now?: () => Date;
}

export interface BenchEmailsResult {
  emails: number;
  sent: number;
  skipped: Record<string, number>;
  seconds: number;
  /** Sent emails per second of wall time. */
  rate: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** The Day-0 email a standard win-back campaign sends (what app/campaigns passes to sendEmail). */
export function dayZeroEmail(shop: string, customerId: string, runTag: string, endsAt: Date): OutboundEmail {
  return {
    shop,
    customerId,
    kind: "winback_standard",
    campaignId: `bench-${runTag}`,
    dedupeKey: `campaign:bench-${runTag}:${customerId}:day0`,
    content: {
      template: "winback_standard",
      stage: "first",
      firstName: "Ada",
      discount: { percent: 15 },
      code: "COMEBACK15",
      endsAt: endsAt.toISOString(),
      link: `https://${shop}/discount/COMEBACK15`,
      terms: { minimumSubtotal: 40, oncePerCustomer: true },
    },
  };
}

/** Sends one Day-0 email to every customer through the real messenger and measures it. */
export async function benchEmails(opts: BenchEmailsOptions): Promise<BenchEmailsResult> {
  const transport: Transporter =
    opts.transport === "per-email" ? nodemailer.createTransport(opts.smtpUrl) : createMailTransport(opts.smtpUrl);
  const now = opts.now ?? (() => new Date());
  const messenger = createMessenger({
    sql: opts.sql,
    transport,
    appUrl: "https://winback.bench",
    secret: "bench-secret",
    from: "Winback <winback@bench.example>",
    now,
    // As the app wires it (app/messaging/feature.ts).
    shopContextTtlMs: SHOP_CONTEXT_TTL_MS,
  });
  const runTag = opts.runTag ?? randomBytes(4).toString("hex");
  const endsAt = new Date(now().getTime() + 14 * 86_400_000);
  const latencies: number[] = [];
  const skipped: Record<string, number> = {};
  let sent = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < opts.customerIds.length) {
      const id = opts.customerIds[next++]!;
      const t = performance.now();
      const r = await messenger.sendEmail(dayZeroEmail(opts.shop, id, runTag, endsAt));
      latencies.push(performance.now() - t);
      if (r.status === "sent") sent++;
      else skipped[r.reason] = (skipped[r.reason] ?? 0) + 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  } finally {
    transport.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { emails: opts.customerIds.length, sent, skipped, seconds, rate: sent / seconds, p50Ms: q(0.5), p95Ms: q(0.95), maxMs: q(1) };
}

export const POSTAL_ADDRESS = "Fern & Fig\nHauptstraße 1\n10115 Berlin\nGermany";

/** A shop with the identity every marketing email needs (ADR 080). */
export async function seedBenchShop(sql: Sql, shop: string): Promise<void> {
  await sql.query(
    `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", email, settings, "updatedAt")
     VALUES ($1, 'Fern & Fig', 'EUR', 'Europe/Berlin', 'hello@fernfig.example', $2::jsonb, now())
     ON CONFLICT (domain) DO UPDATE SET settings = excluded.settings`,
    [shop, JSON.stringify({ messaging: { postalAddress: POSTAL_ADDRESS, locale: "de", replyTo: "care@fernfig.example" } })],
  );
}

/** N consenting customers with ids 1..N (returned as the decimal strings sendEmail takes). */
export async function seedBenchCustomers(sql: Sql, shop: string, n: number): Promise<string[]> {
  await sql.query(
    `INSERT INTO "Customer" (shop, id, email, "firstName", "emailConsent")
     SELECT $1, g, 'customer' || g || '@example.com', 'Ada', 'SUBSCRIBED' FROM generate_series(1, $2::int) g`,
    [shop, n],
  );
  return Array.from({ length: n }, (_, i) => String(i + 1));
}

export interface SmtpSink {
  smtpUrl: string;
  count(): Promise<{ messages: number; bytes: number; connections: number }>;
  close(): Promise<void>;
}

/** bench/smtp-sink.ts in a child process (its own event loop, as a real relay would be). */
export async function startSmtpSink(): Promise<SmtpSink> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.resolve(import.meta.dirname, "smtp-sink.ts")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines: Interface = createInterface({ input: child.stdout! });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const onExit = (c: number | null) => reject(new Error(`SMTP sink exited (${c})`));
      child.once("exit", onExit);
      lines.once("line", (l) => {
        child.off("exit", onExit);
        resolve(l);
      });
    });
  const { port } = JSON.parse(await nextLine()) as { port: number };
  return {
    smtpUrl: `smtp://127.0.0.1:${port}`,
    async count() {
      const answer = nextLine();
      child.stdin!.write("count\n");
      return JSON.parse(await answer);
    },
    close: () =>
      new Promise<void>((r) => {
        child.once("exit", () => r());
        child.stdin!.end();
      }),
  };
}

const fmt = (r: BenchEmailsResult) =>
  `${r.sent} sent in ${r.seconds.toFixed(2)} s = ${r.rate.toFixed(1)}/s, p50 ${r.p50Ms.toFixed(1)} ms, p95 ${r.p95Ms.toFixed(1)} ms, max ${r.maxMs.toFixed(0)} ms` +
  (Object.keys(r.skipped).length ? `, skipped ${JSON.stringify(r.skipped)}` : "");

async function main() {
  const { values } = parseArgs({
    options: {
      n: { type: "string", default: "20000" },
      concurrency: { type: "string", default: "1,8,32" },
      "baseline-n": { type: "string", default: "2000" },
      "campaign-concurrency": { type: "string", default: "32" },
      // SMTP_URL query options for the pooled transport, e.g. "maxConnections=10&maxMessages=500" (nodemailer's defaults: 5 and 100).
      "smtp-options": { type: "string", default: "" },
    },
  });
  const n = Number(values.n);
  const baselineN = Math.min(n, Number(values["baseline-n"]));
  const levels = values.concurrency!.split(",").map(Number);
  const campaignLevel = Number(values["campaign-concurrency"]);
  if (!(n > 0) || !(baselineN >= 0) || levels.some((c) => !(c > 0)))
    throw new Error("--n, --baseline-n and --concurrency must be positive numbers");
  const base = process.env.TEST_DATABASE_URL;
  if (!base)
    throw new Error("Set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (the bench creates and drops its own database)");

  const name = `winback_bench_mail_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  const db = openDatabase({ url: url.toString() });
  const sink = await startSmtpSink();
  try {
    await db.ready();
    const shop = "bench-mail.myshopify.com";
    await seedBenchShop(db.sql, shop);
    const ids = await seedBenchCustomers(db.sql, shop, n);
    console.log(
      `${n} customers seeded; SMTP sink ${sink.smtpUrl} (own process); load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    let run = 0;
    const shiftedClock = () => {
      const offset = Date.parse("2027-01-01T09:00:00Z") + run++ * 31 * 86_400_000 - Date.now();
      return () => new Date(Date.now() + offset);
    };
    let campaignRun: BenchEmailsResult | undefined;
    for (const c of levels) {
      const before = await sink.count();
      const pooledUrl = values["smtp-options"] ? `${sink.smtpUrl}?${values["smtp-options"]}` : sink.smtpUrl;
      const pooled = await benchEmails({ sql: db.sql, shop, customerIds: ids, smtpUrl: pooledUrl, concurrency: c, now: shiftedClock() });
      const after = await sink.count();
      if (after.messages - before.messages !== pooled.sent)
        throw new Error(`the sink received ${after.messages - before.messages} messages for ${pooled.sent} sent`);
      console.log(
        `concurrency ${String(c).padStart(2)} pooled     ${fmt(pooled)}; ${after.connections - before.connections} SMTP connections`,
      );
      if (c === campaignLevel) campaignRun = pooled;
      if (baselineN > 0) {
        const b0 = await sink.count();
        const perEmail = await benchEmails({
          sql: db.sql,
          shop,
          customerIds: ids.slice(0, baselineN),
          smtpUrl: sink.smtpUrl,
          concurrency: c,
          transport: "per-email",
          now: shiftedClock(),
        });
        const b1 = await sink.count();
        console.log(
          `concurrency ${String(c).padStart(2)} per-email  ${fmt(perEmail)}; ${b1.connections - b0.connections} SMTP connections` +
            ` → pooled/per-email = ${(pooled.rate / perEmail.rate).toFixed(2)}x`,
        );
      }
    }
    console.log(
      `load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    const last = campaignRun ?? undefined;
    if (last) console.log(`EMAILS: ${last.sent} in ${last.seconds.toFixed(2)} s = ${last.rate.toFixed(1)}/s`);
  } finally {
    await sink.close();
    await db.close();
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
