import type { Sql } from "../db/sql";
import { customersByIds, type CustomerRecord } from "../sync/store/customers";
import { setTaskContacts, taskCustomerIds, type TaskContact } from "./store";

/**
 * The queue searches and sorts on the customer's name, email, phone, spend and last order in SQL
 * (docs/decisions/086-pages-at-scale.md), but those live in the sync's Customer table, which outreach
 * may not join. Each task keeps a snapshot of them, written when the task is created and refreshed
 * here after every sync and every order change; the rows a page shows are still read live.
 */
export function contactOf(customerId: string, c: CustomerRecord | undefined): TaskContact {
  const name = `${c?.firstName ?? ""} ${c?.lastName ?? ""}`.trim();
  return {
    customerId,
    contactName: name,
    // Lower-cased here, not in SQL: the same keys (and code-point order) as the in-memory queue had.
    nameKey: name.toLowerCase(),
    emailKey: (c?.email ?? "").toLowerCase(),
    phoneDigits: (c?.phone ?? "").replace(/\D/g, ""),
    spent: c ? c.totalSpent : null,
    lastOrderAt: c?.lastOrderAt ?? null,
  };
}

const BATCH = 1_000;

/** Refreshes the snapshot of these customers' tasks, or of every task of the shop (batches of customers); returns the rows changed. */
export async function refreshTaskContacts(sql: Sql, shop: string, customerIds?: string[]): Promise<number> {
  let changed = 0;
  const apply = async (ids: string[]) => {
    const customers = await customersByIds(sql, shop, ids);
    changed += await setTaskContacts(
      sql,
      shop,
      ids.map((id) => contactOf(id, customers.get(id))),
    );
  };
  if (customerIds) {
    const ids = [...new Set(customerIds.filter((id) => /^\d+$/.test(id)))];
    for (let i = 0; i < ids.length; i += BATCH) await apply(ids.slice(i, i + BATCH));
    return changed;
  }
  let after: string | null = null;
  for (;;) {
    const ids = await taskCustomerIds(sql, shop, after, BATCH);
    if (!ids.length) break;
    await apply(ids);
    after = ids[ids.length - 1]!;
  }
  return changed;
}
