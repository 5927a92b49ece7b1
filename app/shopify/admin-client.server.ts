import { env } from "../env.server";
import { AppError } from "../lib/errors";
import { unauthenticated } from "../shopify.server";
import { createAdminClient, type AdminClient } from "./graphql-client";

/**
 * Admin API client for background work (no request, no session token): the shop's offline
 * session. `unauthenticated.admin` (shopify-app-remix v6) refreshes an expiring offline token
 * within 5 minutes of expiry and stores the new one, so jobs never use a dead token.
 */
export async function adminClientForShop(shop: string): Promise<AdminClient> {
  let accessToken: string | undefined;
  try {
    const { session } = await unauthenticated.admin(shop);
    accessToken = session.accessToken;
  } catch (e) {
    throw new AppError("UNAUTHENTICATED", `No usable offline session for ${shop}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  if (!accessToken) throw new AppError("UNAUTHENTICATED", `Offline session of ${shop} has no access token`);
  return createAdminClient({ shop, accessToken, urlTemplate: env().SHOPIFY_ADMIN_URL_TEMPLATE });
}
