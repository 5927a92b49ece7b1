import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { loadSyncPage, retrySync } from "../sync/page.server";
import { adminScope, appContext } from "../app.server";

/** GET: the shop's sync status (polled by SyncStatusCard). POST: enqueue a sync (Retry). */
export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    return json(await loadSyncPage(appContext, session.shop));
  });

export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    return json(await retrySync(appContext, session.shop));
  });
