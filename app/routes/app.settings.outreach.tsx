import { NotSavedBanner } from "../components/NotSavedBanner";
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Button, Card, FormLayout, InlineGrid, InlineStack, Layout, Page, TextField } from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { adminScope, appContext } from "../app.server";
import { loadOutreachSettingsPage, saveOutreachSettingsForm } from "../outreach/page.server";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    return json(await loadOutreachSettingsPage(appContext, session.shop));
  });

export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    const result = await saveOutreachSettingsForm(appContext, session.shop, await request.formData());
    return json(result, { status: result.ok ? 200 : 400 });
  });

type Values = Record<string, string>;

/** The VIP concierge: who VIPs hear from and reply to, when a silent check-in is followed up and escalated, and to whom. */
export default function OutreachSettings() {
  const { settings, mailConfigured } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const shopify = useAppBridge();
  const [values, setValues] = useState<Values>(() => ({
    conciergeName: settings.conciergeName,
    conciergeRole: settings.conciergeRole,
    conciergeEmail: settings.conciergeEmail,
    followUpDays: String(settings.followUpDays),
    graceDays: String(settings.graceDays),
    ownerName: settings.ownerName,
    ownerEmail: settings.ownerEmail,
  }));
  const errors: Record<string, string> = result && !result.ok ? result.errors : {};

  useEffect(() => {
    if (result?.ok) shopify.toast.show("Concierge settings saved · new VIP tasks use them");
    else if (result && !result.ok) shopify.toast.show("Check the highlighted fields", { isError: true });
  }, [result, shopify]);

  const field = (
    name: string,
    label: string,
    help?: string,
    opts: { suffix?: string; type?: "text" | "email"; numeric?: boolean } = {},
  ) => (
    <TextField
      label={label}
      name={name}
      type={opts.type ?? "text"}
      inputMode={opts.numeric ? "numeric" : undefined}
      autoComplete="off"
      value={values[name]}
      suffix={opts.suffix}
      helpText={help}
      error={errors[name]}
      onChange={(v) => setValues((x) => ({ ...x, [name]: v }))}
    />
  );

  return (
    <Page title="Concierge settings" backAction={{ content: "Outreach", url: "/app/outreach" }}>
      <Form method="post">
        <Layout>
          <NotSavedBanner errors={errors} />
          <Layout.AnnotatedSection
            title="Concierge"
            description="The person VIPs hear from. The VIP email is signed with this name, and replies go to this address."
          >
            <Card>
              <FormLayout>
                <InlineGrid columns={{ xs: 1, md: 2 }} gap="300">
                  {field("conciergeName", "Name", "Leave empty to sign with the role")}
                  {field("conciergeRole", "Role", "For example: Head of client care")}
                </InlineGrid>
                {field(
                  "conciergeEmail",
                  "Reply-to address",
                  "Replies to the VIP email come straight to this address (the shop's reply-to when empty)",
                  { type: "email" },
                )}
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection
            title="Follow-up and escalation"
            description="A contacted VIP who has not answered becomes 'follow-up due' after the follow-up days; with no answer after the grace days too, the task goes to the escalation owner."
          >
            <Card>
              <FormLayout>
                <InlineGrid columns={{ xs: 1, md: 2 }} gap="300">
                  {field("followUpDays", "Follow up after", "Days after the check-in", { suffix: "days", numeric: true })}
                  {field("graceDays", "Escalate after a further", "Days of grace after the follow-up date", {
                    suffix: "days",
                    numeric: true,
                  })}
                </InlineGrid>
                <InlineGrid columns={{ xs: 1, md: 2 }} gap="300">
                  {field("ownerName", "Escalation owner", "Who takes over unanswered VIPs")}
                  {field(
                    "ownerEmail",
                    "Owner's email",
                    mailConfigured
                      ? "Gets one notice per escalation run, listing the VIPs"
                      : "No mail server is configured (SMTP_URL): the notice cannot be sent; escalations still show on the Outreach page",
                    { type: "email" },
                  )}
                </InlineGrid>
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.Section>
            <InlineStack align="end">
              <Button submit variant="primary" loading={nav.state === "submitting"}>
                Save
              </Button>
            </InlineStack>
          </Layout.Section>
        </Layout>
      </Form>
    </Page>
  );
}
