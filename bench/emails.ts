// Email throughput: TEST_DATABASE_URL=postgres://… npx tsx bench/emails.ts [--n 20000] [--baseline-n 2000] [--jobs 4]
//   [--pool-size 10] [--smtp-options maxConnections=10] [--profile]
// Seeds N consenting customers in a throwaway PostgreSQL database and starts a counting SMTP sink in
// its own process (bench/smtp-sink.ts). Each run is a launched Standard campaign with a Day-0 touch
// per customer, scheduled in batches of 1,000 as a launch writes them (ADR 084), and runs every
// batch with `runTouchBatch` — the code of the `campaign.touch-batch` job — `--jobs` batches at once
// as pg-boss runs JOB_CONCURRENCY jobs: campaign reads, the domain's decision, the real messenger
// (consent, suppression, caps, dedupe claim, composition in the shop's locale, tracked links,
// unsubscribe token), the pooled transport, the Flow trigger (its FlowTriggerLog claim; Shopify's
// answer is a local stub), guardrails, the touch rows. Runs, in one process and one database:
//   batched    the batch path (messenger.sendEmails, ADR 095), all N customers;
//   per-touch  the same job with a messenger that only has sendEmail (the path before ADR 095), on
//              the first `baseline-n` customers, pooled transport;
//   per-email  the per-touch path with a transport that opens one SMTP connection per email.
// Each prints emails/s and the ratio of the batched run to it. Each run moves the clock 31 days on,
// so the 48 h frequency cap and the 30-day contact cap of earlier runs do not skip anyone.
// `--profile` adds where one email's time goes in the batched run (per-statement database time,
// SMTP time, CPU of composing). The last line: EMAILS: <sent> in <s> s = <rate>/s (batched).
//
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
import type { CampaignDeps } from "../app/campaigns/deps";
import { outreachPort } from "../app/campaigns/feature";
import { eachLimit } from "../app/campaigns/launch";
import { TOUCH_BATCH_SIZE } from "../app/campaigns/store";
import { runTouchBatch } from "../app/campaigns/touch";
import { composeEmail, withHtmlFooter, withTextFooter } from "../app/messaging/compose";
import { trackedBody } from "../app/messaging/engagement";
import { campaignMessageCounts } from "../app/messaging/feedback";
import { createFlowTriggers } from "../app/messaging/flow";
import { createMailTransport } from "../app/messaging/mail-transport.server";
import { createMessenger, SHOP_CONTEXT_TTL_MS } from "../app/messaging/messenger";
import { createAdminClient } from "../app/shopify/graphql-client";

export interface BenchTouchBatchesOptions {
  sql: Sql;
  /** The shop must exist with a postal address in its messaging settings (seedBenchShop does that). */
  shop: string;
  /** Customers to email, each once (consenting, with an address, else they count as skipped). */
  customerIds: string[];
  /** e.g. smtp://127.0.0.1:2525 (startSmtpSink). */
  smtpUrl: string;
  /** "batched": the app's messenger (sendEmails, ADR 095); "per-touch": a messenger with sendEmail only (before ADR 095). */
  path: "batched" | "per-touch";
  /** "pooled": the app's transport (mail-transport.server.ts); "per-email": a new SMTP connection per email (the baseline). */
  transport: "pooled" | "per-email";
  /** SMTP_POOL_SIZE for the pooled transport. */
  poolSize: number;
  /** Touch-batch jobs at once (pg-boss runs JOB_CONCURRENCY, default 4, per queue and instance). */
  jobs: number;
  /** The campaign's clock. Move it on between runs over the same customers, or the caps skip them. */
  now: () => Date;
  /** Statement and SMTP timings of the run (--profile). */
  profile?: Profile;
}

export interface BenchEmailsResult {
  emails: number;
  sent: number;
  actions: Record<string, number>;
  seconds: number;
  /** Sent emails per second of wall time. */
  rate: number;
  /** Database statements per email (BEGIN and COMMIT not included). */
  statementsPerEmail: number;
}

/** Where a run's time goes: wall time summed per statement (overlapping when concurrent), transactions, SMTP sends. */
export class Profile {
  readonly statements = new Map<string, { n: number; ms: number }>();
  add(label: string, ms: number) {
    const e = this.statements.get(label) ?? { n: 0, ms: 0 };
    e.n++;
    e.ms += ms;
    this.statements.set(label, e);
  }
  total(): number {
    let n = 0;
    for (const [k, e] of this.statements) if (!k.startsWith("[")) n += e.n;
    return n;
  }
  print(emails: number, log: (s: string) => void) {
    const rows = [...this.statements].sort((x, y) => y[1].ms - x[1].ms);
    log(`  ${"per email".padStart(9)}  ${"ms/email".padStart(8)}  statement (wall ms summed over concurrent calls)`);
    for (const [k, e] of rows) log(`  ${(e.n / emails).toFixed(3).padStart(9)}  ${(e.ms / emails).toFixed(3).padStart(8)}  ${k}`);
  }
}

/** The Sql port with every statement timed into `profile` (transactions counted as such). */
function profiledSql(sql: Sql, profile: Profile): Sql {
  const label = (text: string) => text.replace(/\s+/g, " ").trim().slice(0, 90);
  const wrap = (s: Sql): Sql => ({
    engine: s.engine,
    async query<T>(text: string, params?: unknown[]): Promise<T[]> {
      const t = performance.now();
      try {
        return await s.query<T>(text, params);
      } finally {
        profile.add(label(text), performance.now() - t);
      }
    },
    exec: (text) => s.exec(text),
    copyFrom: (table, columns, rows) => s.copyFrom(table, columns, rows),
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const t = performance.now();
      try {
        return await s.transaction((tx) => fn(wrap(tx)));
      } finally {
        profile.add("[transaction: BEGIN … COMMIT, wall]", performance.now() - t);
      }
    },
  });
  return wrap(sql);
}

/** A launched Standard campaign with a Day-0 touch per customer, in batches of TOUCH_BATCH_SIZE as insertTouches numbers them. */
async function seedCampaign(sql: Sql, shop: string, id: string, customerIds: string[], launchAt: Date): Promise<number[]> {
  await sql.query(
    `INSERT INTO "Campaign" (id, shop, name, status, settings, tag, "discountCode", "launchAt", "updatedAt")
     VALUES ($1, $2, $3, 'active', '{}', $4, $5, $6, now())`,
    [id, shop, `Bench ${id}`, `winback-${id}`, `COMEBACK-${id.toUpperCase()}`, launchAt.toISOString()],
  );
  await sql.query(
    `INSERT INTO "CampaignMember" ("campaignId", "customerId", shop, branch, holdout, "assignedAt")
     SELECT $1, c, $2, 'Standard', false, $4 FROM unnest($3::bigint[]) AS c`,
    [id, shop, customerIds, launchAt.toISOString()],
  );
  const rows = await sql.query<{ batch: number }>(
    `WITH t AS (
       INSERT INTO "CampaignTouch" ("campaignId", "customerId", day, shop, step, branch, "dueAt", state, "updatedAt", batch)
       SELECT $1, c, 0, $2, 0, 'Standard', $4, 'scheduled', now(), ((row_number() OVER (ORDER BY c)) - 1) / $5
       FROM unnest($3::bigint[]) AS c RETURNING batch)
     SELECT DISTINCT batch FROM t ORDER BY batch`,
    [id, shop, customerIds, launchAt.toISOString(), TOUCH_BATCH_SIZE],
  );
  return rows.map((r) => Number(r.batch));
}

/** Runs the campaign.touch-batch job's code over a fresh campaign's Day-0 batches and measures it. */
export async function benchTouchBatches(opts: BenchTouchBatchesOptions): Promise<BenchEmailsResult> {
  const transport: Transporter =
    opts.transport === "per-email"
      ? nodemailer.createTransport(opts.smtpUrl)
      : createMailTransport(opts.smtpUrl, { poolSize: opts.poolSize });
  const sql = opts.profile ? profiledSql(opts.sql, opts.profile) : opts.sql;
  const timed: Pick<Transporter, "sendMail"> = opts.profile
    ? {
        sendMail: async (m: Parameters<Transporter["sendMail"]>[0]) => {
          const t = performance.now();
          try {
            return await transport.sendMail(m);
          } finally {
            opts.profile!.add("[SMTP sendMail, wall]", performance.now() - t);
          }
        },
      }
    : transport;
  const messenger = createMessenger({
    sql,
    transport: timed,
    appUrl: "https://winback.bench",
    secret: "bench-secret",
    from: "Winback <winback@bench.example>",
    now: opts.now,
    // As the app wires it (app/messaging/feature.ts).
    shopContextTtlMs: SHOP_CONTEXT_TTL_MS,
    trackEngagement: true,
  });
  // Shopify's answer to flowTriggerReceive, locally: the Flow path's own work (claim, mark) is measured, Shopify is not.
  const flowAnswer = JSON.stringify({ data: { flowTriggerReceive: { userErrors: [] } } });
  const flow = createFlowTriggers({
    sql,
    now: opts.now,
    client: async (shop) =>
      createAdminClient({
        shop,
        accessToken: "bench",
        urlTemplate: "https://{shop}",
        fetch: async () => new Response(flowAnswer, { headers: { "content-type": "application/json" } }),
      }),
  });
  const deps: CampaignDeps = {
    sql,
    client: () => Promise.reject(new Error("the email bench calls no Admin API")),
    queue: { send: async () => null },
    messenger: opts.path === "batched" ? messenger : { sendEmail: (m) => messenger.sendEmail(m) },
    flow,
    messageCounts: campaignMessageCounts,
    outreach: outreachPort,
    now: opts.now,
  };
  const campaignId = `bench-${randomBytes(4).toString("hex")}`;
  const batches = await seedCampaign(opts.sql, opts.shop, campaignId, opts.customerIds, opts.now());
  const actions: Record<string, number> = {};
  const before = opts.profile?.total() ?? 0;
  const t0 = performance.now();
  try {
    await eachLimit(batches, opts.jobs, async (batch) => {
      const r = await runTouchBatch(deps, { shop: opts.shop, campaignId, day: 0, batch });
      for (const [k, n] of Object.entries(r.actions)) actions[k] = (actions[k] ?? 0) + (n ?? 0);
    });
  } finally {
    transport.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  const sent = actions.sent ?? 0;
  const statements = (opts.profile?.total() ?? 0) - before;
  return {
    emails: opts.customerIds.length,
    sent,
    actions,
    seconds,
    rate: sent / seconds,
    statementsPerEmail: sent ? statements / sent : 0,
  };
}

/** CPU of one email's words and MIME message, without database or network: compose, tracked links, footer, nodemailer's build. */
export async function cpuPerEmail(n: number): Promise<{ composeMs: number; mimeMs: number }> {
  const content = {
    template: "winback_standard" as const,
    stage: "first" as const,
    firstName: "Ada",
    discount: { percent: 15 },
    code: "COMEBACK15",
    endsAt: new Date(Date.now() + 14 * 86_400_000).toISOString(),
    link: "https://bench.myshopify.com/discount/COMEBACK15",
    terms: { minimumSubtotal: 40, oncePerCustomer: true },
  };
  const ctx = { locale: "de" as const, shopName: "Fern & Fig", currencyCode: "EUR", timeZone: "Europe/Berlin" };
  const footer = {
    shopName: "Fern & Fig",
    postalAddress: POSTAL_ADDRESS,
    url: "https://winback.bench/unsubscribe/x",
    locale: "de" as const,
  };
  let t = performance.now();
  const bodies = [];
  for (let i = 0; i < n; i++) {
    const w = composeEmail(content, ctx);
    const b = trackedBody(
      "bench-secret",
      "https://winback.bench",
      { shop: "bench.myshopify.com", customerId: String(i + 1), messageLogId: `log-${i}`, campaignId: "c" },
      w,
    );
    bodies.push({ subject: w.subject, text: withTextFooter(b.text, footer), html: withHtmlFooter(b.html, footer) });
  }
  const composeMs = (performance.now() - t) / n;
  const build = nodemailer.createTransport({ streamTransport: true, buffer: true });
  t = performance.now();
  for (const [i, b] of bodies.entries())
    await build.sendMail({
      from: { name: "Fern & Fig", address: "winback@bench.example" },
      to: `customer${i + 1}@example.com`,
      replyTo: "care@fernfig.example",
      messageId: `<${i}@winback.bench>`,
      headers: {
        "List-Unsubscribe": "<https://winback.bench/unsubscribe/one-click/x>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      },
      ...b,
    });
  return { composeMs, mimeMs: (performance.now() - t) / n };
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
  `${r.sent} sent in ${r.seconds.toFixed(2)} s = ${r.rate.toFixed(1)}/s` +
  (r.sent !== r.emails ? `, actions ${JSON.stringify(r.actions)}` : "") +
  (r.statementsPerEmail ? `, ${r.statementsPerEmail.toFixed(2)} statements/email` : "");
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function main() {
  const { values } = parseArgs({
    options: {
      n: { type: "string", default: "20000" },
      "baseline-n": { type: "string", default: "2000" },
      jobs: { type: "string", default: "4" },
      "pool-size": { type: "string", default: "10" },
      // SMTP_URL query options for the pooled transport, e.g. "maxMessages=500" (nodemailer's default: 100).
      "smtp-options": { type: "string", default: "" },
      profile: { type: "boolean", default: false },
    },
  });
  const n = Number(values.n);
  const baselineN = Math.min(n, Number(values["baseline-n"]));
  const jobs = Number(values.jobs);
  const poolSize = Number(values["pool-size"]);
  if (!(n > 0) || !(baselineN >= 0) || !(jobs > 0) || !(poolSize > 0))
    throw new Error("--n, --jobs and --pool-size must be positive numbers, --baseline-n at least 0");
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
      `${n} customers seeded; SMTP sink ${sink.smtpUrl} (own process); ${jobs} touch-batch jobs at once; pool ${poolSize}; load ${load()}`,
    );
    let run = 0;
    const shiftedClock = () => {
      const offset = Date.parse("2027-01-01T09:00:00Z") + run++ * 31 * 86_400_000 - Date.now();
      return () => new Date(Date.now() + offset);
    };
    const smtpUrl = values["smtp-options"] ? `${sink.smtpUrl}?${values["smtp-options"]}` : sink.smtpUrl;
    const measure = async (label: string, o: Pick<BenchTouchBatchesOptions, "path" | "transport" | "customerIds" | "profile">) => {
      const before = await sink.count();
      const r = await benchTouchBatches({ sql: db.sql, shop, smtpUrl, poolSize, jobs, now: shiftedClock(), ...o });
      const after = await sink.count();
      if (after.messages - before.messages !== r.sent)
        throw new Error(`the sink received ${after.messages - before.messages} messages for ${r.sent} sent`);
      console.log(`${label.padEnd(30)} ${fmt(r)}; ${after.connections - before.connections} SMTP connections`);
      return r;
    };
    // A short warm-up (JIT, the shop context, connections), not counted.
    await benchTouchBatches({
      sql: db.sql,
      shop,
      smtpUrl,
      poolSize,
      jobs,
      now: shiftedClock(),
      path: "batched",
      transport: "pooled",
      customerIds: ids.slice(0, Math.min(200, n)),
    });
    const batchedProfile = values.profile ? new Profile() : undefined;
    const batched = await measure("batched   (sendEmails, pooled)", {
      path: "batched",
      transport: "pooled",
      customerIds: ids,
      profile: batchedProfile,
    });
    const baseline = ids.slice(0, baselineN);
    const perTouchProfile = values.profile ? new Profile() : undefined;
    const perTouch = baselineN
      ? await measure("per-touch (sendEmail, pooled)", {
          path: "per-touch",
          transport: "pooled",
          customerIds: baseline,
          profile: perTouchProfile,
        })
      : null;
    const perEmail = baselineN
      ? await measure("per-touch, per-email transport", { path: "per-touch", transport: "per-email", customerIds: baseline })
      : null;
    if (perTouch) console.log(`batched / per-touch (pooled)         = ${(batched.rate / perTouch.rate).toFixed(2)}x`);
    if (perEmail) console.log(`batched / per-touch, per-email SMTP  = ${(batched.rate / perEmail.rate).toFixed(2)}x`);
    if (batchedProfile) {
      console.log(`profile, batched run (${batched.sent} emails):`);
      batchedProfile.print(batched.sent, console.log);
    }
    if (perTouchProfile && perTouch) {
      console.log(`profile, per-touch run (${perTouch.sent} emails):`);
      perTouchProfile.print(perTouch.sent, console.log);
    }
    if (values.profile) {
      const cpu = await cpuPerEmail(500);
      console.log(
        `CPU per email, no I/O: compose + tracked links + footer ${cpu.composeMs.toFixed(3)} ms, MIME build (nodemailer) ${cpu.mimeMs.toFixed(3)} ms`,
      );
    }
    console.log(`load ${load()}`);
    console.log(`EMAILS: ${batched.sent} in ${batched.seconds.toFixed(2)} s = ${batched.rate.toFixed(1)}/s`);
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
