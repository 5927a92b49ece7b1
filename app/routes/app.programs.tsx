import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { useAppBridge } from "@shopify/app-bridge-react";
import {
  Badge,
  Banner,
  BlockStack,
  Button,
  Card,
  Checkbox,
  DataTable,
  EmptyState,
  FormLayout,
  InlineGrid,
  InlineStack,
  Layout,
  List,
  Modal,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { useEffect, useState } from "react";
import { adminScope, appContext, campaignDeps as deps } from "../app.server";
import { handleProgramAction, loadProgramsPage, type ProgramView } from "../campaigns/program-page";
import { useFormat } from "../components/FormatProvider";
import { EMPTY_STATE_IMAGE } from "../components/empty-state-image";
import { EmailStatusBanner } from "../components/EmailStatusBanner";
import { loadEmailStatus } from "../messaging/page.server";
import { RollingLiftChart } from "../components/programs/RollingLiftChart";
import { httpStatusFor } from "../lib/errors";
import { cleanForm } from "../lib/form";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    const [page, email] = await Promise.all([loadProgramsPage(await deps(), session.shop), loadEmailStatus(appContext, session.shop)]);
    return json({ ...page, email });
  });

export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    const r = await handleProgramAction(await deps(), session.shop, cleanForm(await request.formData()));
    return json(r, { status: r.ok ? 200 : httpStatusFor(r.code as never) });
  });

type View = ReturnType<typeof useLoaderData<typeof loader>>["programs"][number];

const STATUS: Record<ProgramView["status"], { label: string; tone?: "success" | "attention" | "info" | "critical" }> = {
  off: { label: "Off" },
  launching: { label: "Turning on", tone: "info" },
  on: { label: "On", tone: "success" },
  paused: { label: "Paused", tone: "attention" },
};

export default function Programs() {
  const { programs, currencyCode, email } = useLoaderData<typeof loader>();
  const anyOn = programs.some((p) => p.status !== "off");
  return (
    <Page
      title="Always-on win-back"
      subtitle="Programs run every day: customers who newly go quiet are enrolled, measured against a holdout, and the program pauses itself if it hurts."
    >
      <Layout>
        {!email.mailServer || !email.postalAddress ? (
          <Layout.Section>
            <EmailStatusBanner status={email} />
          </Layout.Section>
        ) : null}
        {!anyOn ? (
          <Layout.Section>
            <Banner tone="info" title="Nothing is sent until you turn a program on">
              <p>
                Each branch has its own program. Review its settings, then turn it on; the confirmation lists exactly what will be sent.
              </p>
            </Banner>
          </Layout.Section>
        ) : null}
        {programs.map((p) => (
          <Layout.Section key={p.branch}>
            <ProgramCard p={p} currencyCode={currencyCode} />
          </Layout.Section>
        ))}
      </Layout>
    </Page>
  );
}

function ProgramCard({ p, currencyCode }: { p: View; currencyCode: string }) {
  const f = useFormat();
  const shopify = useAppBridge();
  const fetcher = useFetcher<{ ok: boolean; error?: string; intent?: string }>();
  const [confirm, setConfirm] = useState(false);
  const [form, setForm] = useState({
    signalKind: p.program.signal.kind as string,
    lapseDays: String(p.program.signal.lapseDays),
    overdueMultiplier: String(p.program.signal.overdueMultiplier),
    churnRiskThreshold: String(Math.round(p.program.signal.churnRiskThreshold * 100)),
    holdoutPercent: String(Math.round(p.settings.holdoutShare * 100)),
    maxPerDay: String(p.program.maxPerDay),
    includeBacklog: p.program.includeBacklog,
    requireEmailConsent: p.program.requireEmailConsent,
  });
  const busy = fetcher.state !== "idle";
  useEffect(() => {
    if (!fetcher.data) return;
    const msg = fetcher.data.ok
      ? fetcher.data.intent === "on"
        ? "Program turned on"
        : fetcher.data.intent === "off"
          ? "Program turned off"
          : "Settings saved"
      : (fetcher.data.error ?? "Failed");
    shopify.toast.show(msg, { isError: !fetcher.data.ok });
  }, [fetcher.data, shopify]);
  const submit = (intent: string) =>
    fetcher.submit(
      {
        intent,
        branch: p.branch,
        ...form,
        includeBacklog: form.includeBacklog ? "on" : "",
        requireEmailConsent: form.requireEmailConsent ? "on" : "",
      },
      { method: "post" },
    );
  const set = (k: keyof typeof form) => (v: string | boolean) => setForm((s) => ({ ...s, [k]: v }));
  const money = (x: number | null | undefined) => (x == null ? "–" : f.money(x, { currency: currencyCode }));
  const pts = (x: number | null | undefined) => (x == null ? "–" : `${x >= 0 ? "+" : ""}${f.fixed(x * 100, 1)} pts`);
  const m = p.measurement;
  const st = STATUS[p.status];
  const id = p.branch.toLowerCase();
  const g = p.guardrail;

  return (
    <Card>
      <BlockStack gap="400">
        <InlineStack align="space-between" blockAlign="center">
          <InlineStack gap="200" blockAlign="center">
            <Text as="h2" variant="headingMd">
              {p.branch} program
            </Text>
            <Badge tone={st.tone}>{st.label}</Badge>
          </InlineStack>
          {p.status === "on" || p.status === "launching" ? (
            <Button id={`${id}-off`} tone="critical" onClick={() => submit("off")} loading={busy}>
              Turn off
            </Button>
          ) : (
            <Button id={`${id}-on`} variant="primary" onClick={() => setConfirm(true)}>
              Turn on
            </Button>
          )}
        </InlineStack>
        <Text as="p" tone="subdued">
          Enrols {p.branch} customers with {p.signal}.{" "}
          {p.status === "off"
            ? `${f.number(p.wouldEnrolToday)} would join on the first day.`
            : `${f.number(p.wouldEnrolToday)} would join on the next run.`}
        </Text>
        {p.status === "paused" && p.pausedReason ? (
          <Banner tone={p.pausedReason.startsWith("Paused automatically") ? "critical" : "warning"} title="Program paused">
            <p id={`${id}-paused-reason`}>{p.pausedReason}</p>
            <p>Nobody joins while it is paused, and emails falling due are held until you turn it back on.</p>
          </Banner>
        ) : null}
        {p.launchError ? (
          <Banner
            tone={p.launchError.endsWith("(retrying)") ? "warning" : "critical"}
            title={p.launchError.endsWith("(retrying)") ? "Turning on is retrying" : "Turning on stopped"}
            action={p.launchError.endsWith("(retrying)") ? undefined : { content: "Try again", onAction: () => submit("on") }}
          >
            <p>{p.launchError}</p>
          </Banner>
        ) : null}
        {g ? (
          <Text as="p" id={`${id}-guardrail`}>
            Guardrails:{" "}
            <Badge tone={g.status === "pause" ? "critical" : "success"}>{g.status === "pause" ? "Breached" : "Within limits"}</Badge>
            {p.deliveries
              ? ` · ${f.number(p.deliveries.delivered)} delivered, ${f.number(p.deliveries.unsubscribed)} unsubscribed, ${f.number(p.deliveries.complaints)} complaints`
              : ""}
          </Text>
        ) : null}

        {m && p.enrolled.total > 0 ? (
          <BlockStack gap="400">
            <InlineGrid columns={{ xs: 2, md: 5 }} gap="300">
              <Metric
                label="Enrolled"
                value={f.number(p.enrolled.total)}
                help={`${f.number(p.enrolled.treated)} treated · ${f.number(p.enrolled.holdout)} holdout`}
              />
              <Metric
                label={`${m.windowDays}-day reactivation`}
                value={m.current.treated.rate == null ? "–" : f.percent(m.current.treated.rate)}
                help={`holdout ${m.current.holdout.rate == null ? "–" : f.percent(m.current.holdout.rate)}`}
              />
              <Metric
                label="Lift"
                value={pts(m.current.lift)}
                help={
                  m.current.ci
                    ? `95% CI ${pts(m.current.ci.low)} to ${pts(m.current.ci.high)}`
                    : `${f.number(m.pending)} still inside their window`
                }
              />
              <Metric
                label="Incremental revenue"
                value={money(m.incrementalRevenue.estimate)}
                help={
                  m.incrementalRevenue.ci
                    ? `95% CI ${money(m.incrementalRevenue.ci.low)} to ${money(m.incrementalRevenue.ci.high)}`
                    : "not measurable yet"
                }
              />
              <Metric label="Discount cost" value={money(m.discount.cost)} help={`${f.number(m.discount.redemptions)} redemptions`} />
            </InlineGrid>
            {p.offers.length > 1 ? (
              <BlockStack gap="100">
                <Text as="p" variant="bodySm">
                  Offers (promoted experiment winners; members keep the offer they joined with):
                </Text>
                {p.offers.map((o, i) => (
                  <Text key={i} as="p" variant="bodySm" tone={o.current ? undefined : "subdued"}>
                    {o.label}
                    {o.code ? ` · code ${o.code}` : " · no code"}
                    {o.since ? ` · new members since ${f.date(new Date(o.since))}` : " · the program's own"}
                    {o.redemptions != null ? ` · ${f.number(o.redemptions)} redemptions` : ""}
                    {o.current ? " · current" : ""}
                  </Text>
                ))}
              </BlockStack>
            ) : null}
            {m.rolling.length ? (
              <RollingLiftChart points={m.rolling} windowDays={m.windowDays} />
            ) : (
              <Text as="p" tone="subdued">
                The lift appears once the first members&apos; {m.windowDays}-day windows have closed.
              </Text>
            )}
            <DataTable
              columnContentTypes={["text", "numeric", "numeric", "numeric", "numeric", "numeric"]}
              headings={[
                "Week enrolled",
                "Enrolled",
                "Treated",
                "Holdout",
                `Reactivated treated (${m.windowDays}d)`,
                `Reactivated holdout (${m.windowDays}d)`,
              ]}
              rows={m.cohorts
                .slice()
                .reverse()
                .map((c) => [
                  // A calendar date (Monday, UTC): noon keeps it the same day in every shop zone.
                  f.date(`${c.week}T12:00:00Z`),
                  f.number(c.enrolled),
                  f.number(c.treated),
                  f.number(c.holdout),
                  c.matured < c.enrolled ? `${f.number(c.treatedReactivated)} (open)` : f.number(c.treatedReactivated),
                  c.matured < c.enrolled ? `${f.number(c.holdoutReactivated)} (open)` : f.number(c.holdoutReactivated),
                ])}
            />
          </BlockStack>
        ) : (
          <EmptyState heading={p.status === "off" ? "This program is off" : "No customers enrolled yet"} image={EMPTY_STATE_IMAGE}>
            <p>
              {p.status === "off"
                ? "Turn it on to enrol customers as they go quiet. Results appear here week by week."
                : "Customers join on the daily run as they newly meet the signal."}
            </p>
          </EmptyState>
        )}

        <Card background="bg-surface-secondary">
          <BlockStack gap="300">
            <Text as="h3" variant="headingSm">
              Settings
            </Text>
            <FormLayout>
              <FormLayout.Group>
                <Select
                  label="Silence signal"
                  options={[
                    { label: "No order for a number of days", value: "lapse" },
                    { label: "Overdue against their own cycle", value: "overdue" },
                    { label: "Churn risk above a threshold", value: "churn_risk" },
                  ]}
                  value={form.signalKind}
                  onChange={set("signalKind")}
                />
                {form.signalKind === "lapse" ? (
                  <TextField
                    label="Days without an order"
                    type="number"
                    value={form.lapseDays}
                    onChange={set("lapseDays")}
                    autoComplete="off"
                  />
                ) : form.signalKind === "overdue" ? (
                  <TextField
                    label="Times their usual gap"
                    type="number"
                    value={form.overdueMultiplier}
                    onChange={set("overdueMultiplier")}
                    autoComplete="off"
                  />
                ) : (
                  <TextField
                    label="Churn risk at least"
                    type="number"
                    suffix="%"
                    value={form.churnRiskThreshold}
                    onChange={set("churnRiskThreshold")}
                    autoComplete="off"
                    helpText="Churn risk has no start date: on the first day everyone above it can join (at most the daily limit)."
                  />
                )}
              </FormLayout.Group>
              <FormLayout.Group>
                <TextField
                  label="Holdout"
                  type="number"
                  suffix="%"
                  value={form.holdoutPercent}
                  onChange={set("holdoutPercent")}
                  autoComplete="off"
                  helpText="Receives nothing; 5–50%."
                />
                <TextField label="At most per day" type="number" value={form.maxPerDay} onChange={set("maxPerDay")} autoComplete="off" />
              </FormLayout.Group>
              <Checkbox
                label="Also enrol customers who went quiet before the program was turned on"
                checked={form.includeBacklog}
                onChange={set("includeBacklog")}
              />
              <Checkbox
                label="Only enrol customers with email marketing consent"
                checked={form.requireEmailConsent}
                onChange={set("requireEmailConsent")}
              />
              <Text as="p" tone="subdued">
                Touch days ({(p.branch === "VIP" ? p.settings.vip.touchDays : p.settings.standard.touchDays).join(", ")}), the offer and the
                measurement window come from the campaign settings.
              </Text>
              <InlineStack>
                <Button id={`${id}-save`} onClick={() => submit("save")} loading={busy}>
                  Save settings
                </Button>
              </InlineStack>
            </FormLayout>
          </BlockStack>
        </Card>
      </BlockStack>
      <Modal
        open={confirm}
        onClose={() => setConfirm(false)}
        title={`Turn on the ${p.branch} program?`}
        primaryAction={
          { content: "Turn on", onAction: () => (submit("on"), setConfirm(false)), loading: busy, id: `${id}-confirm` } as never
        }
        secondaryActions={[{ content: "Cancel", onAction: () => setConfirm(false) }]}
      >
        <Modal.Section>
          <BlockStack gap="200">
            <Text as="p">From today, every day:</Text>
            <List>
              {p.confirmation.map((line, i) => (
                <List.Item key={i}>{line}</List.Item>
              ))}
            </List>
            <Text as="p" tone="subdued">
              {f.number(p.wouldEnrolToday)} customers would join today. Unsaved setting changes are not used: save them first.
            </Text>
          </BlockStack>
        </Modal.Section>
      </Modal>
    </Card>
  );
}

function Metric({ label, value, help }: { label: string; value: string; help?: string }) {
  return (
    <BlockStack gap="100">
      <Text as="p" tone="subdued" variant="bodySm">
        {label}
      </Text>
      <Text as="p" variant="headingLg">
        {value}
      </Text>
      {help ? (
        <Text as="p" tone="subdued" variant="bodySm">
          {help}
        </Text>
      ) : null}
    </BlockStack>
  );
}
