import type { ActionFunctionArgs } from "@remix-run/node";
import { receiveWebhook } from "../app.server";

export const action = async ({ request }: ActionFunctionArgs) => receiveWebhook(request);
