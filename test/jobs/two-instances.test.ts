import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { DEFAULT_SCOPES } from "../../app/env.server";
import { PgBossJobQueue } from "../../app/jobs/pgboss-queue";
import { defineJob } from "../../app/jobs/queue";
import { saveSettingsSection } from "../../app/shop-settings.server";
import { createTestDb, TEST_DATABASE_URL, type TestDb } from "../support/db";
import { until } from "../support/until";
import { parseMail, POSTAL_ADDRESS, startSmtp, type TestSmtp } from "../messaging/support";
import { startEmulator, type Emulator } from "../shopify-emulator";

/**
 * Several app instances on one PostgreSQL (issue 14 item 5, docs/decisions/091-several-instances.md).
 * Two real worker processes run the composition root's jobs on pg-boss against the same database
 * and the same emulated shop; the one running a job is killed with SIGKILL in the middle of it (at
 * a progress marker the job itself writes, not after a sleep) and the other finishes it. Then the
 * outcome must show every job done exactly once: in Shopify (the emulator's mutation log), in the
 * app's rows, and in the mail sink.
 */
const SHOP = "two-instances.myshopify.com";
const API_KEY = "winback-two-instances-key";
const API_SECRET = "winback-two-instances-secret";
const APP_URL = "https://winback.test";
// Big enough that the analysis and the launch's steps take seconds, so a kill lands inside them.
const CUSTOMERS = Number(process.env.TWO_INSTANCES_CUSTOMERS ?? 2000);
const WAIT = { timeoutMs: 300_000 };

interface Worker {
  child: ChildProcess;
  pid: number;
  workerId: string;
  logs: string[];
  command(c: Record<string, string>): Promise<unknown>;
  kill9(): Promise<void>;
}

let nextCommand = 1;

async function startWorker(env: Record<string, string>): Promise<Worker> {
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve("test/jobs/fixtures/app-worker.ts")], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.stderr!.on("data", (b: Buffer) => {
    logs.push(b.toString());
    if (process.env.WINBACK_APP_LOGS) process.stderr.write(`[worker ${child.pid}] ${b.toString()}`);
  });
  const ready = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (l) => {
      const [kind, n, ...rest] = l.split(" ");
      if (kind === "ready") resolve(n!);
      else if (kind === "done") pending.get(n!)?.resolve(JSON.parse(rest.join(" ")));
      else if (kind === "error") pending.get(n!)?.reject(new Error(rest.join(" ")));
      else logs.push(l + "\n");
    });
    child.once("exit", (c, s) => reject(new Error(`worker exited before it was ready (${c ?? s}):\n${logs.join("").slice(-3000)}`)));
  });
  const workerId = await ready;
  return {
    child,
    pid: child.pid!,
    workerId,
    logs,
    command(c) {
      const n = String(nextCommand++);
      const answer = new Promise<unknown>((resolve, reject) => pending.set(n, { resolve, reject }));
      child.stdin!.write(JSON.stringify({ ...c, n }) + "\n");
      return answer;
    },
    async kill9() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

describe.skipIf(!TEST_DATABASE_URL)("two app instances on one PostgreSQL: kill -9 mid-job, every job exactly once", () => {
  let t: TestDb;
  let emulator: Emulator;
  let smtp: TestSmtp;
  let workerEnv: Record<string, string>;
  const workers: Worker[] = [];
  const alive = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);

  const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => t.db.sql.query<T>(text, params);

  /** The live instance holding the lease of a running job of `queue` (pg-boss's runner, app/jobs/pgboss-queue.ts). */
  async function holderOf(queue: string): Promise<Worker | undefined> {
    const leases = await q<{ workerId: string }>(`SELECT "workerId" FROM "JobLease" WHERE queue = $1`, [queue]);
    return alive().find((w) => leases.some((l) => l.workerId === w.workerId));
  }

  beforeAll(async () => {
    t = await createTestDb("postgres");
    smtp = await startSmtp();
    // Webhooks have nowhere to go (no HTTP server here): the jobs poll, as they do when a webhook is lost.
    emulator = await startEmulator({ apiKey: API_KEY, apiSecret: API_SECRET, appUrl: "http://127.0.0.1:9", webhookRetry: { attempts: 1 } });
    await emulator.addShop(SHOP, { seed: 91, customers: CUSTOMERS, years: 3 });
    const token = emulator.issueAccessToken(SHOP);
    // What the library stores on install: the offline session the jobs' Admin clients use.
    await t.db.prisma.session.create({
      data: { id: `offline_${SHOP}`, shop: SHOP, state: "s", isOnline: false, scope: DEFAULT_SCOPES, accessToken: token },
    });
    workerEnv = {
      SHOPIFY_API_KEY: API_KEY,
      SHOPIFY_API_SECRET: API_SECRET,
      SHOPIFY_APP_URL: APP_URL,
      DATABASE_URL: t.url!,
      SHOPIFY_ADMIN_URL_TEMPLATE: `${emulator.url}/{shop}`,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      RUN_WORKERS: "true",
      NODE_ENV: "test",
    };
    // One after the other: two runners starting at the same moment on a fresh database can deadlock
    // in pg-boss's createQueue (40P01) and one of them then runs no job at all (see ADR 091).
    workers.push(await startWorker(workerEnv));
    workers.push(await startWorker(workerEnv));
    // The install path (shop facts, the first sync, every feature's afterInstall) on one instance;
    // the sync's jobs then run wherever pg-boss hands them out.
    await workers[0]!.command({ cmd: "install", shop: SHOP, token });
    // Marketing emails need the shop's postal address (ADR 080), as the merchant sets it.
    await saveSettingsSection(t.db.sql, SHOP, "messaging", { postalAddress: POSTAL_ADDRESS });
    await until(
      "the first sync to complete",
      async () => {
        const [r] = await q<{ status: string }>(`SELECT status FROM "SyncRun" WHERE shop = $1 ORDER BY "startedAt" DESC LIMIT 1`, [SHOP]);
        if (r && !["running", "pending", "completed"].includes(r.status)) throw new Error(`sync ended ${r.status}`);
        return r?.status === "completed";
      },
      WAIT,
    );
  }, 600_000);

  afterAll(async () => {
    for (const w of workers) await w.kill9();
    await emulator?.stop();
    await smtp?.close();
    await t?.drop();
  });

  it("an analysis run killed mid-way is finished by the other instance: one completed run, one score per customer", async () => {
    // The sync's completion requested the recompute; catch it running (its run row is written at the start).
    const { victim, runId } = await until(
      "an analysis run in progress",
      async () => {
        const [run] = await q<{ id: string }>(`SELECT id FROM "AnalysisRun" WHERE shop = $1 AND status = 'running'`, [SHOP]);
        const victim = run && (await holderOf("analysis.run"));
        return victim && { victim, runId: run.id };
      },
      { ...WAIT, everyMs: 20 },
    );
    const [job] = await q<{ id: string }>(`SELECT "jobId" AS id FROM "JobLease" WHERE queue = 'analysis.run' AND "workerId" = $1`, [
      victim.workerId,
    ]);
    await victim.kill9();
    const [killed] = await q<{ status: string }>(`SELECT status FROM "AnalysisRun" WHERE id = $1`, [runId]);
    expect(killed!.status, "the kill landed before the run stored its scores").toBe("running");
    const survivor = alive()[0]!;
    expect(alive()).toHaveLength(1);

    // The survivor sees the dead runner within seconds (deadAfterSeconds 3) and runs the job again.
    const done = await until(
      "the analysis job to complete on the other instance",
      async () => {
        const [j] = await q<{ state: string; retry_count: number }>(`SELECT state, retry_count FROM pgboss.job WHERE id = $1`, [job!.id]);
        if (j && j.state === "failed") throw new Error("the taken-over analysis job failed");
        return j?.state === "completed" && j;
      },
      WAIT,
    );
    expect(done.retry_count).toBeGreaterThanOrEqual(1);
    expect(survivor.child.exitCode).toBeNull();

    const runs = await q<{ id: string; status: string; customers: number }>(
      `SELECT id, status, customers FROM "AnalysisRun" WHERE shop = $1 ORDER BY "startedAt"`,
      [SHOP],
    );
    const completed = runs.filter((r) => r.status === "completed");
    expect(completed, JSON.stringify(runs)).toHaveLength(1);
    expect(completed[0]!.id).not.toBe(runId);
    expect(runs.find((r) => r.id === runId)!.status).not.toBe("completed");
    const [scores] = await q<{ n: number; customers: number; otherRuns: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT "customerId")::int AS customers, count(*) FILTER (WHERE "runId" <> $2)::int AS "otherRuns"
       FROM "CustomerScore" WHERE shop = $1`,
      [SHOP, completed[0]!.id],
    );
    expect(scores!.n).toBeGreaterThan(CUSTOMERS / 2);
    expect(scores).toEqual({ n: scores!.n, customers: scores!.n, otherRuns: 0 });
    expect(completed[0]!.customers).toBe(scores!.n);

    // Back to two instances for the launch.
    workers.push(await startWorker(workerEnv));
  }, 600_000);

  it("a launch killed mid-tagging, and its day-0 sends killed mid-way, are finished by the other instance: everything once", async () => {
    // Two in three subscribers withdraw consent (in the app's copy): the day-0 sends still
    // take seconds for the second kill, without emailing a thousand customers on a busy machine.
    await q(`UPDATE "Customer" SET "emailConsent" = 'NOT_SUBSCRIBED' WHERE shop = $1 AND "emailConsent" = 'SUBSCRIBED' AND id % 3 <> 0`, [
      SHOP,
    ]);
    const [{ n: targets }] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM "CustomerScore" WHERE shop = $1 AND target`, [SHOP]);
    expect(targets, "the shop needs enough targets for a bulk tagging that takes a while").toBeGreaterThan(300);
    const { campaignId } = (await alive()[0]!.command({
      cmd: "launch",
      shop: SHOP,
      launchKey: "two-instances-launch-1",
      name: "Two instances",
    })) as { campaignId: string };
    const campaign = async () => {
      const [c] = await q<{
        status: string;
        launchSteps: Record<string, { doneAt?: string; bulkOperationId?: string }>;
        discountCode: string;
      }>(`SELECT status, "launchSteps", "discountCode" FROM "Campaign" WHERE id = $1`, [campaignId]);
      return c!;
    };

    // Kill 1: the bulk tagging is running in Shopify (its operation id is recorded, the step is not done).
    const victim1 = await until(
      "the launch's bulk tagging to be under way",
      async () => {
        const c = await campaign();
        if (c.launchSteps.tags?.doneAt) throw new Error("the tagging finished before it could be interrupted");
        return !!c.launchSteps.tags?.bulkOperationId && (await holderOf("campaign.launch"));
      },
      { ...WAIT, everyMs: 20 },
    );
    await victim1.kill9();
    let c = await campaign();
    expect(c.status).toBe("launching");
    expect(c.launchSteps.tags?.doneAt).toBeUndefined();
    workers.push(await startWorker(workerEnv));

    await until(
      "the launch to complete",
      async () => {
        const c = await campaign();
        if (c.status !== "launching" && c.status !== "active") throw new Error(`launch ended ${c.status}`);
        return c.status === "active";
      },
      WAIT,
    );
    // The campaign turns active inside the launch job's last step; pg-boss marks the job completed
    // only once the handler has returned, a moment later.
    const launchJobRow = async () =>
      (
        await q<{ state: string; retry_count: number }>(
          `SELECT state, retry_count FROM pgboss.job WHERE name = 'campaign.launch' AND singleton_key = $1 ORDER BY created_on`,
          [`campaign.launch:${campaignId}`],
        )
      )[0];
    await until("the launch job to be marked completed", async () => (await launchJobRow())?.state !== "active", WAIT);
    const launchJob = await launchJobRow();
    expect(launchJob).toMatchObject({ state: "completed" });
    expect(launchJob!.retry_count).toBeGreaterThanOrEqual(1);
    c = await campaign();

    // Kill 2: an instance sending the day-0 emails, once some are out and some touches still wait.
    const day0Waiting = async () =>
      (
        await q<{ n: number }>(
          `SELECT count(*)::int AS n FROM "CampaignTouch" WHERE "campaignId" = $1 AND day = 0 AND state = 'scheduled'`,
          [campaignId],
        )
      )[0]!.n;
    const victim2 = await until(
      "the day-0 emails to be going out",
      async () => {
        if (!smtp.mails.length) return false;
        if (!(await day0Waiting())) throw new Error("every day-0 touch ran before a kill could land among them");
        const leases = await q<{ workerId: string }>(`SELECT "workerId" FROM "JobLease" WHERE queue LIKE 'campaign.touch%'`);
        return alive().find((w) => leases.some((l) => l.workerId === w.workerId));
      },
      { ...WAIT, everyMs: 20 },
    );
    await victim2.kill9();
    const mailsAtKill = smtp.mails.length;
    expect(await day0Waiting(), "the kill landed before every day-0 touch ran").toBeGreaterThan(0);
    workers.push(await startWorker(workerEnv));

    // Every day-0 touch is decided (sent, skipped, ...) by the instances left.
    await until("the day-0 touches to run", async () => (await day0Waiting()) === 0, WAIT);
    expect(smtp.mails.length).toBeGreaterThan(mailsAtKill);

    // ---- Shopify: one discount, one segment, each treated member tagged once, no userErrors ----
    const shop = emulator.shop(SHOP);
    const created = shop.mutations.filter((m) => m.field === "discountCodeBasicCreate");
    expect(created).toHaveLength(1);
    const refused = shop.mutations.filter((m) => /"userErrors":\[\{/.test(JSON.stringify(m.result ?? {})));
    expect(refused.map((m) => `${m.field}: ${JSON.stringify(m.result)}`)).toEqual([]);
    const discounts = (shop.stores.discounts as Array<{ code: string }>).filter((d) => d.code === c.discountCode);
    expect(discounts).toHaveLength(1);
    const segments = shop.mutations.filter((m) => m.field === "segmentCreate");
    expect(segments).toHaveLength(1);
    const tagCalls = new Map<string, number>();
    for (const m of shop.mutations.filter((x) => x.field === "tagsAdd")) {
      const id = /gid:\/\/shopify\/Customer\/(\d+)/.exec(JSON.stringify(m.args))?.[1];
      expect(id, JSON.stringify(m.args)).toBeDefined();
      tagCalls.set(id!, (tagCalls.get(id!) ?? 0) + 1);
    }
    const members = await q<{ customerId: string; holdout: boolean; tagged: boolean; exited: boolean }>(
      `SELECT "customerId"::text AS "customerId", holdout, "taggedAt" IS NOT NULL AS tagged, "exitReason" = 'tag_failed' AS exited
       FROM "CampaignMember" WHERE "campaignId" = $1`,
      [campaignId],
    );
    const treated = members.filter((m) => !m.holdout);
    expect(treated.length).toBeGreaterThan(250); // the bulk path (DEFAULT_BULK_TAG_THRESHOLD)
    expect(treated.filter((m) => !m.tagged && !m.exited)).toEqual([]);
    const twice = [...tagCalls].filter(([, n]) => n > 1);
    expect(twice, "customers tagged more than once").toEqual([]);
    expect([...tagCalls.keys()].sort()).toEqual(treated.map((m) => m.customerId).sort());
    expect(members.filter((m) => m.holdout && tagCalls.has(m.customerId))).toEqual([]);

    // ---- Rows: one touch per (campaign, customer, day); one job per touch ----
    const [touches] = await q<{ n: number; distinct: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT ("customerId", day))::int AS distinct FROM "CampaignTouch" WHERE "campaignId" = $1`,
      [campaignId],
    );
    expect(touches!.n).toBe(touches!.distinct);
    expect(touches!.n).toBeGreaterThanOrEqual(treated.length);
    // Every job ever enqueued for this campaign's touches (pg-boss keeps finished ones in job, then archive):
    // a singleton key names one touch (or one batch); a key enqueued twice is a duplicate send.
    const dupJobs = await q<{ key: string; n: number }>(
      `SELECT singleton_key AS key, count(*)::int AS n FROM (
         SELECT name, singleton_key FROM pgboss.job UNION ALL SELECT name, singleton_key FROM pgboss.archive
       ) j WHERE name LIKE 'campaign.touch%' AND singleton_key LIKE $1 GROUP BY singleton_key HAVING count(*) > 1 ORDER BY key`,
      [`%${campaignId}%`],
    );
    expect(dupJobs.length, `touch jobs enqueued twice: ${JSON.stringify(dupJobs.slice(0, 5))}`).toBe(0);

    // ---- Mail: none twice; every send recorded, every recorded send delivered ----
    // Delivery is at-most-once (app/messaging/messenger.ts): a message claimed by the killed instance
    // and not confirmed is never sent again, so a mail may be missing for it, but never doubled.
    const logged = await q<{ messageId: string; status: string; customerId: string; touch: string | null }>(
      `SELECT m."messageId", m.status, m."customerId"::text AS "customerId", t.state AS touch
       FROM "MessageLog" m LEFT JOIN "CampaignTouch" t ON t."campaignId" = m."campaignId" AND t."customerId" = m."customerId" AND t.day = 0
       WHERE m.shop = $1 AND m."campaignId" = $2 AND m."messageId" IS NOT NULL`,
      [SHOP, campaignId],
    );
    const mails = smtp.mails.map((m) => ({ to: m.to.join(","), id: parseMail(m.raw).header("Message-ID") ?? "" }));
    expect(mails.length, "day-0 emails went out (subscribed customers)").toBeGreaterThan(0);
    expect(new Set(mails.map((m) => m.id)).size, "a message delivered twice").toBe(mails.length);
    expect(new Set(mails.map((m) => m.to)).size, "a customer emailed twice on day 0").toBe(mails.length);
    const byId = new Map(logged.map((l) => [l.messageId, l]));
    expect(
      mails.filter((m) => byId.get(m.id)?.touch !== "sent"),
      "every delivered mail is a logged message of a sent day-0 touch",
    ).toEqual([]);
    const delivered = new Set(mails.map((m) => m.id));
    expect(
      logged.filter((l) => l.status === "sent" && !delivered.has(l.messageId)),
      "every message logged as sent reached the mail server",
    ).toEqual([]);
  }, 900_000);
});

/**
 * Instances of a deployment start together (a rolling restart, a scaled-out worker pool): each
 * creates the job queues on start. A runner whose start fails runs no job at all while its process
 * lives on (app.server's startBackgroundWork only logs it), so both must start.
 */
describe.skipIf(!TEST_DATABASE_URL)("two runners starting at the same moment on a new database", () => {
  let t: TestDb;
  const runners: PgBossJobQueue[] = [];
  beforeAll(async () => {
    t = await createTestDb("postgres");
  });
  afterAll(async () => {
    for (const r of runners) await r.stop().catch(() => undefined);
    await t?.drop();
  });

  it("both start and both run jobs", async () => {
    const ran = new Set<string>();
    // As many queues as the composition root defines (14 today): each creation is DDL in pg-boss.
    const defs = Array.from({ length: 14 }, (_, i) =>
      defineJob({
        queue: `test.start${i}`,
        singleton: i % 2 === 0,
        payload: z.object({ n: z.number() }),
        handler: async (p) => void ran.add(`${i}:${p.n}`),
      }),
    );
    const opts = { sql: t.db.sql, pollSeconds: 0.2, heartbeatSeconds: 1, deadAfterSeconds: 3 };
    runners.push(new PgBossJobQueue(t.url!, defs, opts), new PgBossJobQueue(t.url!, defs, opts));
    const started = await Promise.allSettled(runners.map((r) => r.start()));
    expect(started.map((s) => (s.status === "rejected" ? String(s.reason) : "started"))).toEqual(["started", "started"]);
    for (let i = 0; i < 14; i++) await runners[i % 2]!.send(`test.start${i}`, { n: i });
    await until("every job to run", () => ran.size === 14, { timeoutMs: 120_000 });
  }, 180_000);
});
