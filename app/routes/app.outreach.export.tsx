import type { LoaderFunctionArgs } from "@remix-run/node";
import { streamInScope } from "../db/shop-scope";
import { adminScope, appContext } from "../app.server";
import { errorResponse } from "../lib/http";
import { exportQueueCsv } from "../outreach/export-queue";
import { parseQueueQuery } from "../outreach/list-queue";

/** The Outreach queue as CSV, with the same filters and sort as the page (resource route). */
export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await appContext.db.ready();
    const url = new URL(request.url);
    let query;
    try {
      query = parseQueueQuery(url.searchParams);
    } catch (e) {
      return errorResponse(e, { as: "text" });
    }
    const now = appContext.now();
    const stamp = now.toISOString().slice(0, 10);
    return new Response(streamInScope(exportQueueCsv(appContext.db.sql, session.shop, query, now)), {
      headers: {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="outreach-${stamp}.csv"`,
        "Cache-Control": "no-store",
      },
    });
  });
