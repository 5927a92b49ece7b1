import type { Sql } from "../db/sql";

/*
 * The analysis feature's read API over its tables (CustomerScore): other features read the
 * analysis's results only through these functions.
 */

export type WinbackBranch = "VIP" | "Standard";

/** The customers the latest analysis marked as win-back targets, with their branch, in customer id order. */
export async function winbackTargets(sql: Sql, shop: string): Promise<Array<{ id: string; branch: WinbackBranch }>> {
  return sql.query<{ id: string; branch: WinbackBranch }>(
    `SELECT "customerId"::text AS id, branch FROM "CustomerScore" WHERE shop = $1 AND target AND branch IN ('VIP', 'Standard') ORDER BY "customerId"`,
    [shop],
  );
}

/** How many win-back targets the latest analysis marked. */
export async function countWinbackTargets(sql: Sql, shop: string): Promise<number> {
  const rows = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "CustomerScore" WHERE shop = $1 AND target AND branch IN ('VIP', 'Standard')`, [shop]);
  return rows[0]?.n ?? 0;
}

/* ---- Compliance (docs/decisions/076-table-ownership.md): the analysis's rows of customers or of a shop. ---- */

export async function redactAnalysisCustomers(tx: Sql, shop: string, input: { customerIds: string[] }) {
  if (!input.customerIds.length) return;
  await tx.query(`DELETE FROM "CustomerScore" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, input.customerIds]);
}

export async function redactAnalysisShop(tx: Sql, shop: string) {
  await tx.query(`DELETE FROM "CustomerScore" WHERE shop = $1`, [shop]);
  await tx.query(`DELETE FROM "AnalysisRun" WHERE shop = $1`, [shop]);
}

export async function exportAnalysisCustomerData(sql: Sql, shop: string, customerIds: string[]): Promise<Record<string, unknown[]>> {
  return { CustomerScore: await sql.query(`SELECT * FROM "CustomerScore" WHERE shop = $1 AND "customerId" = ANY($2::bigint[])`, [shop, customerIds]) };
}

/** The analysis's compliance hooks (app/jobs/feature.ts); app/compliance.server.ts calls them. */
export const analysisCompliance = {
  redactCustomers: redactAnalysisCustomers,
  redactShop: redactAnalysisShop,
  exportCustomerData: exportAnalysisCustomerData,
};

/** What an always-on program's silence signal reads of a score (ADR 078). */
export interface ProgramScore {
  customerId: string;
  vip: boolean;
  lastOrderAt: Date;
  purchaseDays: number;
  medianGapDays: number | null;
  churnRisk: number;
}

/** The latest scores of the VIP (`vip`) or the other customers, for a program's daily enrolment. */
export async function scoresForProgram(sql: Sql, shop: string, vip: boolean): Promise<ProgramScore[]> {
  const rows = await sql.query<ProgramScore>(
    `SELECT "customerId"::text AS "customerId", vip, "lastOrderAt", "purchaseDays", "medianGapDays", "churnRisk" FROM "CustomerScore" WHERE shop = $1 AND vip = $2`,
    [shop, vip],
  );
  return rows.map((r) => ({ ...r, lastOrderAt: new Date(r.lastOrderAt), churnRisk: Number(r.churnRisk), medianGapDays: r.medianGapDays == null ? null : Number(r.medianGapDays) }));
}
