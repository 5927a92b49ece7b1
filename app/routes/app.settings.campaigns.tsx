import { NotSavedBanner } from "../components/NotSavedBanner";
import { useEffect, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import {
  BlockStack,
  Button,
  Card,
  Checkbox,
  FormLayout,
  InlineGrid,
  InlineStack,
  Layout,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { database } from "../db.server";
import { loadCampaignSettingsPage, saveCampaignSettingsForm } from "../campaigns/page.server";
import { adminScope } from "../app.server";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await database.ready();
    return json(await loadCampaignSettingsPage(database.sql, session.shop));
  });

export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await database.ready();
    const result = await saveCampaignSettingsForm(database.sql, session.shop, await request.formData());
    return json(result, { status: result.ok ? 200 : 400 });
  });

type Values = Record<string, string>;
/** One later step's no-click branch as the form edits it (ADR 101); `on` false: the step is the same for all. */
type StepBranch = { on: boolean; channel: "email" | "flow"; subject: string; intro: string };

/** The later Standard steps the merchant typed (day 0 has no earlier message to click). */
function laterDays(text: string): number[] {
  return text
    .split(/[\s,;/]+/)
    .filter((p) => /^\d{1,2}$/.test(p))
    .map(Number)
    .filter((d) => d > 0);
}

/**
 * The campaign defaults every new plan and program starts from: when each branch is emailed, how
 * long the offer runs and how long the code keeps working after, and how long results are
 * measured (which is also how long a holdout is kept out of every other campaign, ADR 077).
 * Follow-up and escalation are the concierge's settings; the contact cap is in the email settings.
 */
export default function CampaignSettingsPage() {
  const { settings } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const shopify = useAppBridge();
  const [values, setValues] = useState<Values>(() => ({
    standardTouchDays: settings.standard.touchDays.join(", "),
    vipTouchDays: settings.vip.touchDays.join(", "),
    validityDays: String(settings.discount.validityDays),
    graceDays: String(settings.discount.graceDays),
    reactivationWindowDays: String(settings.reactivationWindowDays),
  }));
  const [branches, setBranches] = useState<Record<number, StepBranch>>(() =>
    Object.fromEntries(
      settings.standard.ifNoClick.map((b) => [b.day, { on: true, channel: b.channel, subject: b.subject ?? "", intro: b.intro ?? "" }]),
    ),
  );
  const steps = laterDays(values.standardTouchDays ?? "");
  // Only the steps still in the list are saved: a removed day takes its branch with it.
  const branchesJson = JSON.stringify(
    steps
      .filter((d) => branches[d]?.on)
      .map((d) => {
        const b = branches[d]!;
        return b.channel === "flow" ? { day: d, channel: "flow" } : { day: d, channel: "email", subject: b.subject, intro: b.intro };
      }),
  );
  const setBranch = (day: number, patch: Partial<StepBranch>) =>
    setBranches((x) => ({ ...x, [day]: { ...(x[day] ?? { on: false, channel: "email", subject: "", intro: "" }), ...patch } }));
  const errors: Record<string, string> = result && !result.ok ? result.errors : {};

  useEffect(() => {
    if (result?.ok) shopify.toast.show("Campaign settings saved · new plans and programs use them");
    else if (result && !result.ok) shopify.toast.show("Check the highlighted fields", { isError: true });
  }, [result, shopify]);

  const field = (name: string, label: string, help: string, suffix?: string) => (
    <TextField
      label={label}
      name={name}
      autoComplete="off"
      inputMode={suffix ? "numeric" : undefined}
      value={values[name]}
      suffix={suffix}
      helpText={help}
      error={errors[name]}
      onChange={(v) => setValues((x) => ({ ...x, [name]: v }))}
    />
  );

  return (
    <Page title="Campaign settings" backAction={{ content: "Settings", url: "/app/settings" }}>
      <Form method="post">
        <Layout>
          <NotSavedBanner errors={errors} />
          <Layout.AnnotatedSection
            title="Touch days"
            description="Days after a customer joins on which each branch is emailed (day 0 is the day they join). The plan table shows these days."
          >
            <Card>
              <FormLayout>
                <InlineGrid columns={{ xs: 1, md: 2 }} gap="300">
                  {field("standardTouchDays", "Standard", "For example 0, 3, 10: the offer, then reminders")}
                  {field(
                    "vipTouchDays",
                    "VIP",
                    "For example 0, 7: the personal note, then one follow-up (stops once the concierge records contact)",
                  )}
                </InlineGrid>
                <input type="hidden" name="standardIfNoClick" value={branchesJson} />
                <BlockStack gap="200">
                  <Text as="h3" variant="headingSm">
                    Standard steps that react
                  </Text>
                  <Text as="p" tone="subdued">
                    A later step can change for customers who have not clicked any earlier email of the campaign by then (clicks by link
                    scanners do not count). Off unless you turn it on.
                  </Text>
                  {errors.standardIfNoClick ? (
                    <Text as="p" tone="critical">
                      {errors.standardIfNoClick}
                    </Text>
                  ) : null}
                  {steps.map((day) => {
                    const b = branches[day];
                    return (
                      <BlockStack key={day} gap="200">
                        <Checkbox label={`Day ${day}: if no click by then`} checked={!!b?.on} onChange={(on) => setBranch(day, { on })} />
                        {b?.on ? (
                          <InlineGrid columns={{ xs: 1, md: 2 }} gap="300">
                            <Select
                              label="Instead"
                              options={[
                                { label: "Email with another subject", value: "email" },
                                { label: "Flow trigger for SMS (no email)", value: "flow" },
                              ]}
                              value={b.channel}
                              onChange={(v) => setBranch(day, { channel: v === "flow" ? "flow" : "email" })}
                            />
                            {b.channel === "email" ? (
                              <TextField
                                label="Subject"
                                autoComplete="off"
                                maxLength={150}
                                value={b.subject}
                                onChange={(subject) => setBranch(day, { subject })}
                                helpText="For example: Still thinking it over?"
                              />
                            ) : (
                              <Text as="p" tone="subdued">
                                Your Flow gets the touch with Branch “standard_no_click” and can text the customer.
                              </Text>
                            )}
                            {b.channel === "email" ? (
                              <TextField
                                label="Opening paragraph (optional)"
                                autoComplete="off"
                                multiline={2}
                                maxLength={2000}
                                value={b.intro}
                                onChange={(intro) => setBranch(day, { intro })}
                              />
                            ) : null}
                          </InlineGrid>
                        ) : null}
                      </BlockStack>
                    );
                  })}
                </BlockStack>
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection
            title="Offer"
            description="How long the Standard offer runs. The last Standard email must go out before the offer ends."
          >
            <Card>
              <FormLayout>
                <InlineGrid columns={{ xs: 1, md: 2 }} gap="300">
                  {field("validityDays", "Valid for", "The end the emails announce", "days")}
                  {field(
                    "graceDays",
                    "Grace after the end",
                    "The code keeps working this long after the announced end, so a late click is not refused",
                    "days",
                  )}
                </InlineGrid>
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection
            title="Measurement"
            description="An order within this window after a customer joins counts as a reactivation. A holdout customer is kept out of every other campaign and program until the window closes."
          >
            <Card>
              <FormLayout>{field("reactivationWindowDays", "Measurement window", "Days after a customer joins", "days")}</FormLayout>
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
