import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { authenticate } from "../shopify.server";
import { loadSyncPage, retrySync } from "../sync/page.server";
import { appContext } from "../app.server";

/** GET: the shop's sync status (polled by SyncStatusCard). POST: enqueue a sync (Retry). */
export const loader = async ({ request }: LoaderFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  return json(await loadSyncPage(appContext, session.shop));
};

export const action = async ({ request }: ActionFunctionArgs) => {
  const { session } = await authenticate.admin(request);
  return json(await retrySync(appContext, session.shop));
};
