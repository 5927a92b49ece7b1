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
  ChoiceList,
  FormLayout,
  InlineGrid,
  Layout,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { useAppBridge } from "@shopify/app-bridge-react";
import { loadSettingsPage, saveSettingsForm } from "../analysis/page.server";
import { adminScope, appContext } from "../app.server";
import type { AnalysisSettings } from "../analysis/settings";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    return json(await loadSettingsPage(appContext, session.shop));
  });

export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    const result = await saveSettingsForm(appContext, session.shop, await request.formData());
    return json(result, { status: result.ok ? 200 : 400 });
  });

type Values = Record<string, string>;

function toValues(v: AnalysisSettings): Values {
  const s = v.settings;
  return {
    "lapse.atRiskDays": String(s.lapse.atRiskDays),
    "lapse.highRiskDays": String(s.lapse.highRiskDays),
    "lapse.lostDays": String(s.lapse.lostDays),
    "overdue.minPurchaseDays": String(s.overdue.minPurchaseDays),
    "overdue.gapMultiplier": String(s.overdue.gapMultiplier),
    "vip.mode": s.vip.fixedThreshold === null ? "percentile" : "fixed",
    "vip.percentile": String(Math.round(s.vip.percentile * 1000) / 10),
    "vip.fixedThreshold": s.vip.fixedThreshold === null ? "" : String(s.vip.fixedThreshold),
    "targets.includeLost": s.targets.includeLost ? "on" : "",
    "prediction.horizonDays": String(s.prediction.horizonDays),
    "prediction.valueHorizonDays": String(s.prediction.valueHorizonDays),
    "prediction.minCustomers": String(s.prediction.minCustomers),
    "prediction.minRepeatCustomers": String(s.prediction.minRepeatCustomers),
    "norm.lookbackDays": String(s.norm.lookbackDays),
    "norm.windowDays": String(s.norm.windowDays),
    timeUnit: v.timeUnit,
  };
}

export default function Settings() {
  const { value, currencyCode } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const shopify = useAppBridge();
  const [values, setValues] = useState<Values>(() => toValues(value as AnalysisSettings));
  const errors: Record<string, string> = result && !result.ok ? result.errors : {};
  const saving = nav.state === "submitting";

  useEffect(() => {
    if (result?.ok) shopify.toast.show("Settings saved · recomputing the analysis");
    else if (result && !result.ok) shopify.toast.show("Check the highlighted fields", { isError: true });
  }, [result, shopify]);

  const field = (name: string, label: string, help?: string, suffix?: string) => (
    // type="text": a number input would refuse "1,5" in some browsers; the server reads every locale (lib/number).
    <TextField
      label={label}
      name={name}
      type="text"
      inputMode="decimal"
      autoComplete="off"
      value={values[name]}
      suffix={suffix}
      helpText={help}
      error={errors[name]}
      onChange={(v) => setValues((x) => ({ ...x, [name]: v }))}
    />
  );

  return (
    <Page
      title="Analysis settings"
      backAction={{ content: "Home", url: "/app" }}
      secondaryActions={[
        { content: "Email settings", url: "/app/settings/email" },
        { content: "Campaign settings", url: "/app/settings/campaigns" },
        { content: "Concierge settings", url: "/app/settings/outreach" },
      ]}
    >
      <Form method="post">
        <Layout>
          <NotSavedBanner errors={errors} />
          <Layout.AnnotatedSection
            title="Lapse classes"
            description="How long a customer may stay silent (days since last order) before moving to the next class."
          >
            <Card>
              <FormLayout>
                <InlineGrid columns={3} gap="300">
                  {field("lapse.atRiskDays", "At risk from", "Active below this", "days")}
                  {field("lapse.highRiskDays", "High risk from", undefined, "days")}
                  {field("lapse.lostDays", "Lost from", undefined, "days")}
                </InlineGrid>
                <Checkbox
                  label="Include lost customers in win-back targets"
                  checked={values["targets.includeLost"] === "on"}
                  onChange={(c) => setValues((x) => ({ ...x, "targets.includeLost": c ? "on" : "" }))}
                />
                {values["targets.includeLost"] === "on" ? <input type="hidden" name="targets.includeLost" value="on" /> : null}
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection
            title="Overdue"
            description="A regular buyer who has gone quiet for longer than usual, before the fixed windows notice."
          >
            <Card>
              <InlineGrid columns={2} gap="300">
                {field("overdue.minPurchaseDays", "Minimum purchase days", "Distinct days with an order")}
                {field("overdue.gapMultiplier", "Silent longer than", "Times the customer's median gap between purchases", "× gap")}
              </InlineGrid>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title="VIP" description="VIPs get the high-value branch: customer service care instead of discounts.">
            <Card>
              <FormLayout>
                <ChoiceList
                  title="VIP threshold"
                  name="vip.mode"
                  error={errors["vip.mode"]}
                  choices={[
                    { label: "Percentile of total spent", value: "percentile" },
                    { label: `Fixed amount (${currencyCode})`, value: "fixed" },
                  ]}
                  selected={[values["vip.mode"] ?? "percentile"]}
                  onChange={(s) => setValues((x) => ({ ...x, "vip.mode": s[0] ?? "percentile" }))}
                />
                <InlineGrid columns={2} gap="300">
                  {field("vip.percentile", "Percentile", "90 = the top 10 % of customers by total spent", "%")}
                  {values["vip.mode"] === "fixed" ? field("vip.fixedThreshold", "Total spent of at least", undefined, currencyCode) : null}
                </InlineGrid>
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection
            title="Prediction"
            description="The BG/NBD and Gamma-Gamma models and the churn-risk score. Below the minimums only the rules apply."
          >
            <Card>
              <FormLayout>
                <Select
                  label="Time unit of the model"
                  name="timeUnit"
                  error={errors.timeUnit}
                  value={values.timeUnit}
                  options={[
                    { label: "Weeks (recommended)", value: "week" },
                    { label: "Days", value: "day" },
                  ]}
                  onChange={(v) => setValues((x) => ({ ...x, timeUnit: v }))}
                />
                <InlineGrid columns={2} gap="300">
                  {field("prediction.horizonDays", "Churn horizon", "Expected purchases and churn risk look this far ahead", "days")}
                  {field("prediction.valueHorizonDays", "Value horizon", "Predicted customer value over", "days")}
                  {field("prediction.minCustomers", "Minimum customers to fit")}
                  {field("prediction.minRepeatCustomers", "Minimum repeat customers to fit")}
                </InlineGrid>
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection title="Historical norm" description="What today's risk summary is compared with.">
            <Card>
              <InlineGrid columns={2} gap="300">
                {field("norm.lookbackDays", "Compare with", "Silent share this many days ago", "days ago")}
                {field("norm.windowDays", "Orders-per-customer window", undefined, "days")}
              </InlineGrid>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.Section>
            <BlockStack gap="200" inlineAlign="end">
              <Button submit variant="primary" loading={saving}>
                Save
              </Button>
              <Text as="p" tone="subdued" variant="bodySm">
                Saving recomputes the analysis with the new settings.
              </Text>
            </BlockStack>
          </Layout.Section>
        </Layout>
      </Form>
    </Page>
  );
}
