import type { ActionFunctionArgs } from "@remix-run/node";
import { receiveWebhook } from "../webhooks/dispatch.server";

export const action = async ({ request }: ActionFunctionArgs) => receiveWebhook(request);
