import type { LoaderFunctionArgs } from "@remix-run/node";
import { exportSegment } from "../analysis/page.server";
import { streamInScope } from "../db/shop-scope";
import { adminScope, appContext } from "../app.server";
import { errorResponse } from "../lib/http";

/** GET /app/segments/export?class=…&branch=…&sort=…: the filtered customers as CSV, streamed. */
export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    try {
      const { stream, filename } = await exportSegment(appContext, session.shop, new URL(request.url));
      return new Response(streamInScope(stream), {
        status: 200,
        headers: {
          "Content-Type": "text/csv; charset=utf-8",
          "Content-Disposition": `attachment; filename="${filename}"`,
          "Cache-Control": "no-store",
        },
      });
    } catch (e) {
      return errorResponse(e, { as: "text" });
    }
  });
