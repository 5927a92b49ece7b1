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
