// Job throughput: npx tsx bench/jobs.ts [jobs=300] [concurrency=4]
// (TEST_DATABASE_URL=postgres://… adds the PostgreSQL runs; without it only the embedded queue on PGlite.)
// Prints jobs/s of each runner on the same trivial job (5 ms of awaited I/O), so the numbers are
// ratios between runners on this machine, not absolute capacities:
// - pg-boss as the app ran it before docs/decisions/006 (boss.work: one job per fetch, then the
//   2 s polling interval), sampled for a fixed 20 s because it is slow;
// - PgBossJobQueue (the app's own loop: `concurrency` slots, fetch again as soon as one frees);
// - DbJobQueue on PGlite (and on PostgreSQL).
import pg from "pg";
import PgBoss from "pg-boss";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { openDatabase, type Database } from "../app/db/open";
import { DbJobQueue } from "../app/jobs/db-queue";
import { PgBossJobQueue } from "../app/jobs/pgboss-queue";
import { defineJob, type JobQueue } from "../app/jobs/queue";

const N = Number(process.argv[2] ?? 300);
const CONCURRENCY = Number(process.argv[3] ?? 4);
const work = () => new Promise((r) => setTimeout(r, 5));

async function measure(label: string, make: (def: ReturnType<typeof defineJob>) => JobQueue & { drain?: () => Promise<void> }) {
  let done = 0;
  const def = defineJob({
    queue: "bench.job",
    payload: z.object({ n: z.number() }),
    handler: async () => {
      await work();
      done++;
    },
  });
  const q = make(def);
  for (let n = 0; n < N; n++) await q.send("bench.job", { n });
  const t0 = performance.now();
  await q.start();
  while (done < N) await new Promise((r) => setTimeout(r, 10));
  const s = (performance.now() - t0) / 1000;
  await q.stop();
  console.log(`${label.padEnd(44)} ${N} jobs in ${s.toFixed(2)} s = ${(N / s).toFixed(1)} jobs/s`);
  return N / s;
}

async function pgDatabase(): Promise<{ db: Database; url: string; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL!;
  const name = `winback_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const db = openDatabase({ url: u.toString() });
  await db.ready();
  return {
    db,
    url: u.toString(),
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** The runner as it was: boss.work with the app's old options, counted over a fixed window. */
async function oldPgBoss(url: string) {
  const boss = new PgBoss({ connectionString: url, schema: "pgboss_old" });
  await boss.start();
  await boss.createQueue("bench.old", { name: "bench.old", policy: "standard" });
  for (let n = 0; n < N; n++) await boss.send("bench.old", { n });
  let done = 0;
  const t0 = performance.now();
  await boss.work("bench.old", { pollingIntervalSeconds: 2, includeMetadata: true }, async (jobs) => {
    for (const _ of jobs) {
      await work();
      done++;
    }
  });
  while (done < N && performance.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
  const s = (performance.now() - t0) / 1000;
  await boss.stop({ graceful: false, wait: true });
  console.log(
    `${"pg-boss boss.work (before, 1 job / 2 s poll)".padEnd(44)} ${done} jobs in ${s.toFixed(2)} s = ${(done / s).toFixed(1)} jobs/s`,
  );
  return done / s;
}

const lite = openDatabase({});
await lite.ready();
const embedded = await measure(
  `DbJobQueue on PGlite (concurrency ${CONCURRENCY})`,
  (def) => new DbJobQueue(lite.sql, [def], { pollMs: 500, concurrency: CONCURRENCY }),
);
await lite.close();

if (process.env.TEST_DATABASE_URL) {
  const p = await pgDatabase();
  try {
    const before = await oldPgBoss(p.url);
    const after = await measure(
      `PgBossJobQueue (concurrency ${CONCURRENCY})`,
      (def) => new PgBossJobQueue(p.url, [def], { sql: p.db.sql, concurrency: CONCURRENCY }),
    );
    await p.db.sql.query(`DELETE FROM "Job"`);
    const dbPg = await measure(
      `DbJobQueue on PostgreSQL (concurrency ${CONCURRENCY})`,
      (def) => new DbJobQueue(p.db.sql, [def], { pollMs: 500, concurrency: CONCURRENCY }),
    );
    console.log(
      `ratios: PgBossJobQueue / old pg-boss = ${(after / before).toFixed(1)}x; DbJobQueue PostgreSQL / PGlite = ${(dbPg / embedded).toFixed(2)}x`,
    );
  } finally {
    await p.drop();
  }
}
