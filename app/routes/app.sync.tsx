import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { database } from "../db.server";
import { authenticate } from "../shopify.server";
import { loadSyncStatus } from "../sync/status";
import { requestSync } from "../sync/start";
import { syncDeps } from "../app.server";

/** GET: the shop's sync status (polled by SyncStatusCard). POST: enqueue a sync (Retry). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  await database.ready();
  return json({ status: await loadSyncStatus(database.sql, session.shop) });
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  await database.ready();
  // Only enqueues: the sync itself runs in the job worker, never in the request.
  const { queued } = await requestSync(syncDeps, session.shop);
  return json({ queued, status: await loadSyncStatus(database.sql, session.shop) });
};
