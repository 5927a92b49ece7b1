import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { SHOP_ROLE } from "../../app/db/sql";
import { createTestDb, TEST_DATABASE_URL, type TestDb } from "../support/db";
import { appRequest as req, setAppEnv, settle, TEST_APP } from "../support/app-env";

// Admin pages and jobs run confined to one shop (docs/decisions/098-scoped-requests-and-jobs.md),
// through the composition root, on PostgreSQL when TEST_DATABASE_URL is set (a fresh database) and
// on the embedded PGlite otherwise: a query that forgets its shop sees only the shop of the request
// or job. A restrictive policy on "OutreachTask" records, for every row the scoped role reads, who
// read it and with which shop set: the real page loader and the real escalation job must leave
// records of shop A only, and at least one (a loader that ran unscoped would leave none).

const pgDb: TestDb | null = TEST_DATABASE_URL ? await createTestDb("postgres", { migrate: false }) : null;
setAppEnv({ DATABASE_URL: pgDb?.url ?? "memory://" });

const { database } = await import("../../app/db.server");
const { adminScope, jobDefinitions } = await import("../../app/app.server");
const { confineJob } = await import("../../app/jobs/scope");
const { defineJob } = await import("../../app/jobs/queue");
const { ESCALATE_QUEUE } = await import("../../app/outreach/jobs");
const { SYNC_JOBS } = await import("../../app/sync/context");
const { loader: outreachLoader } = await import("../../app/routes/app.outreach");
const { env } = await import("../../app/env.server");
const { createOutreachTasks } = await import("../../app/outreach/create-tasks");
const { seedCustomer, seedShop, settings } = await import("../outreach/support");

const A = TEST_APP.shop;
const B = "scoped-b.myshopify.com";
const engine = pgDb ? "postgres" : "pglite";

const shopsOfTasks = async () =>
  (await database.sql.query<{ shop: string }>(`SELECT DISTINCT shop FROM "OutreachTask" ORDER BY shop`)).map((r) => r.shop);
const probes = async () => {
  const rows = await database.sql.query<{ who: string; scope: string | null }>(
    `SELECT DISTINCT who, scope FROM scope_probe ORDER BY who, scope`,
  );
  await database.sql.exec(`TRUNCATE scope_probe`);
  return rows;
};

beforeAll(async () => {
  await database.ready();
  await database.prisma.session.create({
    data: {
      id: `offline_${A}`,
      shop: A,
      state: "s",
      isOnline: false,
      scope: env().SCOPES,
      accessToken: "shpat_test",
      expires: new Date(Date.now() + 86_400_000),
    },
  });
  for (const shop of [A, B]) {
    await seedShop(database.sql, shop, "UTC");
    for (const id of ["21", "22"]) await seedCustomer(database.sql, id, { firstName: `Vip${id}`, totalSpent: 2000 }, shop);
    await createOutreachTasks(database.sql, {
      shop,
      campaignId: `scoped-${shop.slice(0, 8)}`,
      launchAt: new Date(Date.now() - 3 * 86_400_000),
      settings: settings(),
      customerIds: ["21", "22"],
    });
  }
  // Runs as the reading role, per row the scoped role reads: records the role and the shop set.
  await database.sql.exec(`
    CREATE TABLE scope_probe (who text, scope text);
    GRANT INSERT ON scope_probe TO ${SHOP_ROLE};
    CREATE FUNCTION scope_probe() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
      BEGIN INSERT INTO scope_probe VALUES (current_user, current_setting('winback.shop', true)); RETURN true; END $$;
    CREATE POLICY scope_probe ON "OutreachTask" AS RESTRICTIVE FOR SELECT TO ${SHOP_ROLE} USING (scope_probe());`);
}, 600_000);

afterAll(async () => {
  await database.close();
  await pgDb?.drop();
}, 120_000);

describe(`admin requests and jobs confined to their shop (${engine})`, () => {
  it("seeded both shops (the unscoped system Sql sees both)", async () => {
    expect(await shopsOfTasks()).toEqual([A, B].sort());
    await probes();
  });

  it("adminScope: a query that forgets the shop, run with shop A's session token, sees shop A's rows only", async () => {
    const seen = await adminScope(req("/app/outreach"), () => shopsOfTasks());
    expect(seen).toEqual([A]);
    expect(await probes()).toEqual([{ who: SHOP_ROLE, scope: A }]);
    // And back outside it, the system Sql again.
    expect(await shopsOfTasks()).toEqual([A, B].sort());
  });

  it("the real Outreach page loader reads as the shop role with shop A set, and lists shop A's tasks only", async () => {
    const res = await settle(outreachLoader({ request: req("/app/outreach"), params: {}, context: {} }));
    expect(res.status).toBe(200);
    const data = (await res.json()) as { total: number; rows: Array<{ campaignId: string }> };
    expect(data.total).toBe(2);
    expect(new Set(data.rows.map((r) => r.campaignId))).toEqual(new Set([`scoped-${A.slice(0, 8)}`]));
    expect(await probes()).toEqual([{ who: SHOP_ROLE, scope: A }]);
  });

  it("a request without a valid session token never reaches a query", async () => {
    const res = await settle(adminScope(req("/app/outreach", { token: false }), () => shopsOfTasks()));
    expect(res).toBeInstanceOf(Response);
    expect(await probes()).toEqual([]);
  });

  it("a job for shop A: a shop-less query in its handler sees shop A's rows only", async () => {
    let seen: string[] = [];
    const def = confineJob(
      defineJob({
        queue: "scope.probe",
        payload: z.object({ shop: z.string() }),
        handler: async () => void (seen = await shopsOfTasks()),
      }),
    );
    await def.handler({ shop: A }, { jobId: "j1", attempt: 1 });
    expect(seen).toEqual([A]);
    await def.handler({ shop: B }, { jobId: "j2", attempt: 1 });
    expect(seen).toEqual([B]);
    await expect(def.handler({}, { jobId: "j3", attempt: 1 })).rejects.toThrow(/names no shop/);
    await probes();
  });

  it("the composition root's real escalation job reads as the shop role with its payload's shop", async () => {
    const escalate = jobDefinitions.find((d) => d.queue === ESCALATE_QUEUE)!;
    await escalate.handler({ shop: B }, { jobId: "j4", attempt: 1 });
    expect(await probes()).toEqual([{ who: SHOP_ROLE, scope: B }]);
  });

  it("system jobs (COPY, ANALYZE) keep the system Sql; a job definition without a shop must be declared system", async () => {
    const ingest = jobDefinitions.find((d) => d.queue === SYNC_JOBS.ingest)!;
    expect(ingest).toBeDefined();
    const noShop = defineJob({ queue: "scope.noshop", payload: z.object({ n: z.number() }), handler: async () => {} });
    expect(() => confineJob(noShop)).toThrow(/declare it system work/);
  });
});
