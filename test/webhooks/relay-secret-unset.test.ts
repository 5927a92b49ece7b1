import { describe, expect, it } from "vitest";
import { setAppEnv, TEST_APP } from "../support/app-env";

// No MAIL_RELAY_SECRET: nothing can verify a report, so every report is refused (app/env.server.ts).
setAppEnv();
delete process.env.MAIL_RELAY_SECRET;

const { action: feedbackAction } = await import("../../app/routes/email.feedback");
const { signBody } = await import("../../app/messaging/token");

describe("mail relay feedback without MAIL_RELAY_SECRET", () => {
  it("answers 503 with a message naming the missing setting, even for a report signed with the app secret", async () => {
    const body = JSON.stringify({ type: "complaint", messageId: "<m1@winback.test>" });
    const r = await feedbackAction({
      request: new Request(`${TEST_APP.appUrl}/email/feedback`, {
        method: "POST",
        body,
        headers: { "X-Winback-Signature": signBody(TEST_APP.apiSecret, body) },
      }),
      params: {},
      context: {},
    });
    expect(r.status).toBe(503);
    expect(((await r.json()) as { error: string }).error).toMatch(/MAIL_RELAY_SECRET/);
  });
});
