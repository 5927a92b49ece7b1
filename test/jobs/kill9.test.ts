import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { PgBossJobQueue } from "../../app/jobs/pgboss-queue";
import { defineJob } from "../../app/jobs/queue";
import { createTestDb, TEST_DATABASE_URL, type TestDb } from "../support/db";

/** A real crash: a runner process is killed with SIGKILL while it runs a job; a new runner finishes it. */
describe.skipIf(!TEST_DATABASE_URL)("kill -9 of a runner process (PostgreSQL)", () => {
  let t: TestDb;
  let child: ChildProcess | undefined;
  let q: PgBossJobQueue | undefined;
  beforeAll(async () => {
    t = await createTestDb("postgres");
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await q?.stop();
    await t?.drop();
  });

  it("the job the killed process was running is taken over and completed by a new runner", async () => {
    const ran: string[] = [];
    const def = defineJob({
      queue: "test.crash",
      payload: z.object({ n: z.number() }),
      handler: async (_p, ctx) => void ran.push(ctx.jobId),
    });
    child = spawn(process.execPath, ["--import", "tsx", path.resolve("test/jobs/fixtures/crash-worker.ts"), t.url!], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const started = new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).on("line", (l) => l.startsWith("started ") && resolve(l.slice(8)));
      child!.once("exit", (c) => reject(new Error(`runner exited early (${c})`)));
    });
    const sender = new PgBossJobQueue(t.url!, [def], { sql: t.db.sql, work: false });
    const id = await sender.send("test.crash", { n: 1 });
    await sender.stop();
    expect(await started).toBe(id);
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    expect((await t.db.sql.query<any>(`SELECT state FROM pgboss.job WHERE id = $1`, [id]))[0].state).toBe("active");

    // The restart: a new runner; the dead one counts as dead 2 s after its last heartbeat.
    q = new PgBossJobQueue(t.url!, [def], { sql: t.db.sql, pollSeconds: 0.2, heartbeatSeconds: 1, deadAfterSeconds: 2 });
    await q.start();
    const deadline = Date.now() + 60_000;
    while (!ran.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(ran).toEqual([id]);
    for (;;) {
      const s = (await t.db.sql.query<any>(`SELECT state FROM pgboss.job WHERE id = $1`, [id]))[0].state;
      if (s === "completed" || Date.now() > deadline) {
        expect(s).toBe("completed");
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  });
});
