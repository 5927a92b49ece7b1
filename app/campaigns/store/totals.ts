import type { Sql } from "../../db/sql";
import { DAY_MS } from "../../domain/analytics/dates";
import { purchaseTotalsByCustomer, purchaseTotalsInCodeWindows, type CustomerWindowTotals } from "../../sync/store/purchases";
import { memberGroupsRelation, storedCampaignSettings } from "../store";
import type { StepVariantCount } from "./touch-batch";

/**
 * A campaign's measurement kept up to date as orders arrive (docs/decisions/105-campaign-totals.md).
 *
 * Each member of a one-off campaign carries its qualifying orders in the campaign's window
 * (`windowFirstOrderAt`, `windowRevenue`, `windowRedemptions`, `windowRedeemedTotal`), recomputed
 * from the orders whenever an order of that customer is stored: in the same transaction as the
 * order (webhook batch or sync merge, through the sync's `onOrdersWritten` hook), so the page never
 * sees an order without its effect. `CampaignTotals` holds the members' sums per arm, branch and day
 * of first window order (day -1: none yet), changed by the difference a member's new figures make.
 * The page reads those few rows instead of joining the window's orders to every member (ADR 094).
 *
 * Recomputing a member from the orders (not adding the order's amount) makes a repeated delivery,
 * a stale version, an edit, a refund or a cancellation all the same operation, and idempotent.
 *
 * Locks: a writer of member figures holds a shared advisory lock per campaign of the shop (taken in
 * key order); the from-scratch recomputation (reconcileCampaignTotals: the launch's snapshot, after
 * every sync, or when a campaign has never been computed) holds it exclusively. So a recomputation
 * never interleaves with an order's update: an order stored before it began is in its reading, one
 * stored during it waits and then applies its difference to the recomputed figures. Two writers for
 * one customer are already serialized by the sync's customer row locks; the member rows are locked
 * too (FOR UPDATE) so the difference is taken against the latest committed figures.
 */

/** A campaign whose members may carry window figures (launched, or launching: its snapshot may be running). */
interface MeasuredCampaign {
  id: string;
  from: Date;
  to: Date;
  code: string | null;
}

/** `bigint` advisory lock key of a campaign's totals (hashtextextended: 64 bits, no collision with other lock users' prefixes). */
const LOCK_KEY = `hashtextextended('winback-campaign-totals:' || k, 0)`;

async function measuredCampaigns(sql: Sql, shop: string, ids?: string[]): Promise<MeasuredCampaign[]> {
  const rows = await sql.query<{ id: string; from: Date; settings: unknown; code: string | null }>(
    `SELECT id, coalesce("launchAt", "createdAt") AS "from", settings, "discountCode" AS code
       FROM "Campaign" WHERE shop = $1 AND kind = 'campaign' AND status <> 'draft' ${ids ? "AND id = ANY($2::text[])" : ""} ORDER BY id`,
    ids ? [shop, ids] : [shop],
  );
  // The window as the page has always measured it (measure.ts): launch + the parsed settings' days.
  return rows.map((r) => {
    const from = new Date(r.from);
    const days = storedCampaignSettings(r.settings).reactivationWindowDays;
    return { id: r.id, from, to: new Date(from.getTime() + days * DAY_MS), code: r.code };
  });
}

async function lockTotals(tx: Sql, campaignIds: string[], mode: "shared" | "exclusive"): Promise<void> {
  if (!campaignIds.length) return;
  const fn = mode === "shared" ? "pg_advisory_xact_lock_shared" : "pg_advisory_xact_lock";
  await tx.query(`SELECT count(${fn}(${LOCK_KEY}))::int AS n FROM (SELECT k FROM unnest($1::text[]) k ORDER BY ${LOCK_KEY}) l`, [
    [...new Set(campaignIds)],
  ]);
}

/**
 * The orders of these customers changed (inside the transaction that stored them): recompute their
 * memberships' window figures and move the campaigns' totals by the difference. `customerIds` null:
 * every customer of the shop (an initial sync's merge), then each campaign is recomputed from scratch.
 * Returns how many memberships changed.
 */
export async function refreshMemberWindows(tx: Sql, shop: string, customerIds: string[] | null, now: Date): Promise<number> {
  if (customerIds && !customerIds.length) return 0;
  const campaigns = await measuredCampaigns(tx, shop);
  if (!campaigns.length) return 0;
  if (customerIds === null) {
    let changed = 0;
    for (const c of campaigns) changed += await reconcileCampaignTotals(tx, shop, c.id, now);
    return changed;
  }
  await lockTotals(
    tx,
    campaigns.map((c) => c.id),
    "shared",
  );
  const members = await tx.query<{
    campaignId: string;
    customerId: string;
    firstAt: Date | null;
    revenue: string;
    redemptions: number;
    redeemedTotal: string;
  }>(
    `SELECT "campaignId", "customerId"::text AS "customerId", "windowFirstOrderAt" AS "firstAt", "windowRevenue"::text AS revenue,
            "windowRedemptions" AS redemptions, "windowRedeemedTotal"::text AS "redeemedTotal"
       FROM "CampaignMember" WHERE shop = $1 AND "customerId" = ANY($2::bigint[]) AND "campaignId" = ANY($3::text[])
      ORDER BY "campaignId", "customerId" FOR UPDATE`,
    [shop, [...new Set(customerIds)], campaigns.map((c) => c.id)],
  );
  if (!members.length) return 0;
  const byId = new Map(campaigns.map((c) => [c.id, c]));
  const truth = await purchaseTotalsInCodeWindows(
    tx,
    shop,
    members.map((m) => {
      const c = byId.get(m.campaignId)!;
      return { customerId: m.customerId, from: c.from, to: c.to, code: c.code };
    }),
  );
  // Unchanged members are left out here; the exact decimal comparison happens in SQL below.
  const changed = members
    .map((m, i) => ({ m, t: truth[i]! }))
    .filter(
      ({ m, t }) =>
        (m.firstAt ? new Date(m.firstAt).getTime() : null) !== (t.firstAt?.getTime() ?? null) ||
        m.redemptions !== t.redemptions ||
        m.revenue !== t.revenue ||
        m.redeemedTotal !== t.redeemedTotal,
    );
  if (!changed.length) return 0;
  const col = <T>(f: (x: (typeof changed)[number]) => T) => changed.map(f);
  // New figures in, old ones (read under the row lock) out: per bucket, Σ new − Σ old, in exact numeric.
  const params = [
    shop,
    col((x) => x.m.campaignId),
    col((x) => x.m.customerId),
    col((x) => (x.m.firstAt ? new Date(x.m.firstAt).toISOString() : null)),
    col((x) => x.m.revenue),
    col((x) => x.m.redemptions),
    col((x) => x.m.redeemedTotal),
    col((x) => x.t.firstAt?.toISOString() ?? null),
    col((x) => x.t.revenue),
    col((x) => x.t.redemptions),
    col((x) => x.t.redeemedTotal),
  ];
  await tx.query(
    `UPDATE "CampaignMember" m SET "windowFirstOrderAt" = u.nf, "windowRevenue" = u.nr, "windowRedemptions" = u.nd, "windowRedeemedTotal" = u.nt
       FROM unnest($2::text[], $3::bigint[], $4::timestamp[], $5::numeric[], $6::int[], $7::numeric[], $8::timestamp[], $9::numeric[], $10::int[], $11::numeric[])
            AS u(cid, customer, of, r, d, t, nf, nr, nd, nt)
      WHERE m."campaignId" = u.cid AND m."customerId" = u.customer AND m.shop = $1`,
    params,
  );
  await applyDeltas(tx, params);
  return changed.length;
}

/**
 * The buckets' differences, applied in key order (concurrent writers of one campaign then wait on
 * each other's bucket rows in the same order instead of deadlocking).
 */
async function applyDeltas(tx: Sql, params: unknown[]) {
  const day = (first: string) => `CASE WHEN ${first} IS NULL THEN -1 ELSE floor(extract(epoch from ${first} - c.from) / 86400)::int END`;
  await tx.query(
    `WITH u AS (
       SELECT * FROM unnest($2::text[], $3::bigint[], $4::timestamp[], $5::numeric[], $6::int[], $7::numeric[], $8::timestamp[], $9::numeric[], $10::int[], $11::numeric[])
            AS u(cid, customer, of, r, d, t, nf, nr, nd, nt)
     ), c AS (
       SELECT id, coalesce("launchAt", "createdAt") AS "from" FROM "Campaign" WHERE shop = $1 AND id IN (SELECT cid FROM u)
     ), moves AS (
       SELECT u.cid, m.holdout, m.branch, ${day("u.of")} AS day, -1 AS customers, -u.r AS revenue, -(u.r * u.r) AS "revenueSq", -u.d AS redemptions, -u.t AS redeemed
         FROM u JOIN c ON c.id = u.cid JOIN "CampaignMember" m ON m."campaignId" = u.cid AND m."customerId" = u.customer
       UNION ALL
       SELECT u.cid, m.holdout, m.branch, ${day("u.nf")}, 1, u.nr, u.nr * u.nr, u.nd, u.nt
         FROM u JOIN c ON c.id = u.cid JOIN "CampaignMember" m ON m."campaignId" = u.cid AND m."customerId" = u.customer
     )
     INSERT INTO "CampaignTotals" AS t ("campaignId", shop, holdout, branch, day, customers, revenue, "revenueSq", redemptions, "redeemedTotal")
     SELECT cid, $1, holdout, branch, day, sum(customers), sum(revenue), sum("revenueSq"), sum(redemptions), sum(redeemed)
       FROM moves GROUP BY cid, holdout, branch, day
     HAVING sum(customers) <> 0 OR sum(revenue) <> 0 OR sum("revenueSq") <> 0 OR sum(redemptions) <> 0 OR sum(redeemed) <> 0
      ORDER BY cid, holdout, branch, day
     ON CONFLICT ("campaignId", holdout, branch, day) DO UPDATE SET customers = t.customers + excluded.customers, revenue = t.revenue + excluded.revenue,
       "revenueSq" = t."revenueSq" + excluded."revenueSq", redemptions = t.redemptions + excluded.redemptions,
       "redeemedTotal" = t."redeemedTotal" + excluded."redeemedTotal"`,
    params,
  );
}

/**
 * Recomputes a campaign's member figures and totals from the orders (the reconciliation: a missed
 * event, an order stored before the campaign's snapshot, a campaign never computed). Returns how
 * many members' figures it corrected. First without any lock: the members' figures and the buckets
 * are compared with the orders, and when nothing differs (the normal case) nothing is written, so
 * order writes never wait for the check. Otherwise the recomputation runs again holding the
 * campaign's lock exclusively, so order writes for its shop wait until it commits. `fresh`: members
 * just inserted in the caller's transaction (the launch's snapshot, which already holds the lock):
 * only customers with a window order are written, no scan for stale figures. Runs in the caller's
 * transaction (or its own).
 */
export async function reconcileCampaignTotals(
  sql: Sql,
  shop: string,
  campaignId: string,
  now: Date,
  opts: { fresh?: boolean } = {},
): Promise<number> {
  const c = (await measuredCampaigns(sql, shop, [campaignId]))[0];
  if (!c) return 0;
  const window = { from: c.from, to: c.to, discountCode: c.code };
  if (!opts.fresh) {
    const truth = await purchaseTotalsByCustomer(sql, shop, memberGroupsRelation(c.id), window);
    const drift = (
      await sql.query<{ n: number }>(
        `${WANT}, drift AS (SELECT 1 FROM want w JOIN "CampaignMember" m ON m."campaignId" = $2 AND m."customerId" = w."customerId" AND m.shop = $1 WHERE ${DIFFERS}) SELECT count(*)::int AS n FROM drift`,
        truthParams(shop, c.id, truth),
      )
    )[0]!.n;
    if (drift === 0 && (await bucketsDrift(sql, c)) === 0) {
      await recountTouches(sql, c.id);
      await sql.query(`UPDATE "Campaign" SET "totalsCheckedAt" = $2 WHERE id = $1`, [c.id, now.toISOString()]);
      return 0;
    }
  }
  const fixed = await sql.transaction(async (tx) => {
    await lockTotals(tx, [campaignId], "exclusive");
    const truth = await purchaseTotalsByCustomer(tx, shop, memberGroupsRelation(c.id), window);
    // Every member whose stored figures differ from the orders': those with an order now, and those
    // carrying figures without one (a cancelled or redacted order, an order moved away).
    const n = (
      await tx.query<{ n: number }>(
        `${opts.fresh ? FRESH : WANT}, upd AS (
           UPDATE "CampaignMember" m SET "windowFirstOrderAt" = w.f, "windowRevenue" = w.r, "windowRedemptions" = w.d, "windowRedeemedTotal" = w.rt
             FROM want w
            WHERE m."campaignId" = $2 AND m."customerId" = w."customerId" AND m.shop = $1 AND ${DIFFERS}
            RETURNING 1)
         SELECT count(*)::int AS n FROM upd`,
        truthParams(shop, c.id, truth),
      )
    )[0]!.n;
    await tx.query(`DELETE FROM "CampaignTotals" WHERE "campaignId" = $1`, [c.id]);
    await tx.query(
      `INSERT INTO "CampaignTotals" ("campaignId", shop, holdout, branch, day, customers, revenue, "revenueSq", redemptions, "redeemedTotal")
       SELECT $1, $2, holdout, branch, day, customers, revenue, "revenueSq", redemptions, "redeemedTotal" FROM (${BUCKETS}) b`,
      [c.id, shop, c.from.toISOString()],
    );
    await tx.query(`UPDATE "Campaign" SET "totalsCheckedAt" = $2 WHERE id = $1`, [c.id, now.toISOString()]);
    return n;
  });
  // The trigger keeps the touch counts in every transaction that changes touches; no lock needed.
  if (!opts.fresh) await recountTouches(sql, c.id);
  return fixed;
}

/** The window figures the orders give ($3…$7, customers with a window order), as the statements below read them. */
function truthParams(shop: string, campaignId: string, truth: CustomerWindowTotals[]): unknown[] {
  return [
    shop,
    campaignId,
    truth.map((t) => t.customerId),
    truth.map((t) => t.firstAt.toISOString()),
    truth.map((t) => t.revenue),
    truth.map((t) => t.redemptions),
    truth.map((t) => t.redeemedTotal),
  ];
}

const TRUTH = `t AS (SELECT * FROM unnest($3::bigint[], $4::timestamp[], $5::numeric[], $6::int[], $7::numeric[]) AS u(customer, f, r, d, rt))`;
/** Per member with a window order or carrying figures: what the orders say (zeros when none). */
const WANT = `WITH ${TRUTH}, want AS (
  SELECT m."customerId", t.f, coalesce(t.r, 0) AS r, coalesce(t.d, 0) AS d, coalesce(t.rt, 0) AS rt
    FROM "CampaignMember" m LEFT JOIN t ON t.customer = m."customerId"
   WHERE m."campaignId" = $2 AND (t.customer IS NOT NULL OR m."windowFirstOrderAt" IS NOT NULL OR m."windowRevenue" <> 0
         OR m."windowRedemptions" <> 0 OR m."windowRedeemedTotal" <> 0))`;
/** Members just inserted carry no figures: only those with a window order. */
const FRESH = `WITH ${TRUTH}, want AS (SELECT t.customer AS "customerId", t.f, t.r, t.d, t.rt FROM t)`;
const DIFFERS = `(m."windowFirstOrderAt" IS DISTINCT FROM w.f OR m."windowRevenue" <> w.r OR m."windowRedemptions" <> w.d OR m."windowRedeemedTotal" <> w.rt)`;
/** The buckets as the members' figures sum up ($1 campaign, $3 launch). */
const BUCKETS = `SELECT holdout, branch,
         CASE WHEN "windowFirstOrderAt" IS NULL THEN -1 ELSE floor(extract(epoch from "windowFirstOrderAt" - $3::timestamp) / 86400)::int END AS day,
         count(*)::int AS customers, sum("windowRevenue") AS revenue, sum("windowRevenue" * "windowRevenue") AS "revenueSq",
         sum("windowRedemptions")::int AS redemptions, sum("windowRedeemedTotal") AS "redeemedTotal"
    FROM "CampaignMember" WHERE "campaignId" = $1 GROUP BY 1, 2, 3`;

/** How many buckets differ from the members' figures summed (0: the kept totals are right). */
async function bucketsDrift(sql: Sql, c: MeasuredCampaign): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT * FROM (${BUCKETS}) b WHERE $2::text IS NOT NULL) b
       FULL JOIN (SELECT * FROM "CampaignTotals" WHERE "campaignId" = $1 AND customers <> 0) k USING (holdout, branch, day)
      WHERE b.customers IS DISTINCT FROM k.customers OR b.revenue IS DISTINCT FROM k.revenue OR b."revenueSq" IS DISTINCT FROM k."revenueSq"
         OR b.redemptions IS DISTINCT FROM k.redemptions OR b."redeemedTotal" IS DISTINCT FROM k."redeemedTotal"`,
    [c.id, c.id, c.from.toISOString()],
  );
  return rows[0]!.n;
}

/** The exclusive lock alone, for a caller about to write a campaign's members (the launch's snapshot). */
export async function lockCampaignTotals(tx: Sql, campaignId: string): Promise<void> {
  await lockTotals(tx, [campaignId], "exclusive");
}

/** One bucket of a campaign's maintained totals (day -1: members without a window order). */
export interface TotalsBucket {
  holdout: boolean;
  branch: "VIP" | "Standard";
  day: number;
  customers: number;
  /** Decimal strings, exact. */
  revenue: string;
  revenueSq: string;
  redemptions: number;
  redeemedTotal: string;
}

/** The campaign's buckets (a few dozen rows whatever its size). */
export async function campaignTotals(sql: Sql, campaignId: string): Promise<TotalsBucket[]> {
  return sql.query<TotalsBucket>(
    `SELECT holdout, branch, day, customers, revenue::text AS revenue, "revenueSq"::text AS "revenueSq", redemptions, "redeemedTotal"::text AS "redeemedTotal"
       FROM "CampaignTotals" WHERE "campaignId" = $1 AND customers <> 0 ORDER BY holdout, branch, day`,
    [campaignId],
  );
}

/**
 * Members leave (customers/redact): their figures leave the totals with them. Called before the
 * members are deleted, in the same transaction.
 */
export async function subtractMembers(tx: Sql, shop: string, customerIds: string[]): Promise<void> {
  if (!customerIds.length) return;
  const campaigns = await measuredCampaigns(tx, shop);
  if (!campaigns.length) return;
  await lockTotals(
    tx,
    campaigns.map((c) => c.id),
    "shared",
  );
  await tx.query(
    `WITH moves AS (
       SELECT m."campaignId" AS cid, m.holdout, m.branch,
              CASE WHEN m."windowFirstOrderAt" IS NULL THEN -1 ELSE floor(extract(epoch from m."windowFirstOrderAt" - coalesce(c."launchAt", c."createdAt")) / 86400)::int END AS day,
              m."windowRevenue" AS r, m."windowRedemptions" AS d, m."windowRedeemedTotal" AS rt
         FROM "CampaignMember" m JOIN "Campaign" c ON c.id = m."campaignId"
        WHERE m.shop = $1 AND m."customerId" = ANY($2::bigint[]) AND m."campaignId" = ANY($3::text[])
     )
     UPDATE "CampaignTotals" t SET customers = t.customers - s.n, revenue = t.revenue - s.r, "revenueSq" = t."revenueSq" - s.r2,
            redemptions = t.redemptions - s.d, "redeemedTotal" = t."redeemedTotal" - s.rt
       FROM (SELECT cid, holdout, branch, day, count(*)::int AS n, sum(r) AS r, sum(r * r) AS r2, sum(d)::int AS d, sum(rt) AS rt
               FROM moves GROUP BY 1, 2, 3, 4) s
      WHERE t."campaignId" = s.cid AND t.holdout = s.holdout AND t.branch = s.branch AND t.day = s.day`,
    [shop, customerIds, campaigns.map((c) => c.id)],
  );
}

/** reconcileCampaignTotals for every campaign of the shop, each in its own transaction (after a sync). */
export async function reconcileShopTotals(sql: Sql, shop: string, now: Date): Promise<number> {
  let fixed = 0;
  for (const c of await measuredCampaigns(sql, shop)) fixed += await reconcileCampaignTotals(sql, shop, c.id, now);
  if (fixed) console.warn(`[campaigns] totals of ${shop}: ${fixed} member figures corrected from the orders`);
  return fixed;
}

/**
 * The touches per state (what touchStateCounts counted over every touch) from the counts a trigger on
 * CampaignTouch keeps in the transaction that changes them (migration 20261205000300_campaign_totals).
 */
export async function touchStateTotals(sql: Sql, campaignId: string): Promise<Array<{ state: string; n: number }>> {
  return sql.query(
    `SELECT state, sum(n)::int AS n FROM "CampaignTouchCount" WHERE "campaignId" = $1 GROUP BY state HAVING sum(n) <> 0 ORDER BY state`,
    [campaignId],
  );
}

/** touchVariantCounts from the same kept counts: per step and variant, sent and of those Flow-only (ADR 101). */
export async function touchVariantTotals(sql: Sql, campaignId: string): Promise<StepVariantCount[]> {
  return sql.query<StepVariantCount>(
    `SELECT day, variant, coalesce(sum(n) FILTER (WHERE state = 'sent'), 0)::int AS sent, coalesce(sum(n) FILTER (WHERE state = 'sent' AND "flowOnly"), 0)::int AS "flowOnly"
       FROM "CampaignTouchCount" WHERE "campaignId" = $1 AND variant <> '' GROUP BY day, variant HAVING sum(n) <> 0 ORDER BY day, variant`,
    [campaignId],
  );
}

/**
 * Recounts a campaign's kept touch counts from its touches when they differ (the reconciliation; the
 * trigger keeps them otherwise). Safe beside the trigger: a touch change committed before the recount's
 * statement is in it, a later one adds its difference to the recounted rows.
 */
async function recountTouches(sql: Sql, campaignId: string): Promise<void> {
  const COUNTS = `SELECT state, day, coalesce(variant, '') AS variant, coalesce(reason = 'flow_only', false) AS "flowOnly", count(*)::int AS n
                    FROM "CampaignTouch" WHERE "campaignId" = $1 GROUP BY 1, 2, 3, 4`;
  const drift = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (${COUNTS}) a FULL JOIN (SELECT * FROM "CampaignTouchCount" WHERE "campaignId" = $1 AND n <> 0) k
       USING (state, day, variant, "flowOnly") WHERE a.n IS DISTINCT FROM k.n`,
    [campaignId],
  );
  if (!drift[0]!.n) return;
  await sql.transaction(async (tx) => {
    await tx.query(`DELETE FROM "CampaignTouchCount" WHERE "campaignId" = $1`, [campaignId]);
    await tx.query(
      `INSERT INTO "CampaignTouchCount" ("campaignId", shop, state, day, variant, "flowOnly", n)
       SELECT "campaignId", min(shop), state, day, coalesce(variant, ''), coalesce(reason = 'flow_only', false), count(*)::int
         FROM "CampaignTouch" WHERE "campaignId" = $1 GROUP BY 1, 3, 4, 5, 6 ORDER BY 1, 3, 4, 5, 6`,
      [campaignId],
    );
  });
}
