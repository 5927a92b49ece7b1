import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData, useRevalidator } from "@remix-run/react";
import { useAppBridge } from "@shopify/app-bridge-react";
import {
  Badge,
  Banner,
  BlockStack,
  Card,
  DataTable,
  InlineGrid,
  InlineStack,
  Layout,
  List,
  Modal,
  Page,
  ProgressBar,
  Text,
} from "@shopify/polaris";
import { useEffect, useState } from "react";
import { throwAsResponse } from "../lib/http";
import { cleanForm } from "../lib/form";
import { handleCampaignAction, loadCampaignPage } from "../campaigns/page.server";
import { adminScope, campaignDeps as deps } from "../app.server";
import { documentNavigate } from "../components/campaigns/navigation";
import { CampaignStatusBadge } from "../components/campaigns/CampaignStatusBadge";
import { ReactivationChart } from "../components/campaigns/ReactivationChart";
import { ExperimentCard } from "../components/campaigns/ExperimentCard";
import { useFormat } from "../components/FormatProvider";
import { EmailStatusBanner } from "../components/EmailStatusBanner";
import { loadEmailStatus } from "../messaging/page.server";
import { appContext } from "../app.server";

export const loader = async ({ request, params }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    try {
      const page = await loadCampaignPage(await deps(), session.shop, params.id ?? "");
      // "Emails delivered 0" must say why when no mail server or postal address is configured.
      return json({ ...page, email: await loadEmailStatus(appContext, session.shop) });
    } catch (e) {
      // Unknown or another shop's campaign: 404 (the same answer for both, so ids of other shops leak nothing).
      throwAsResponse(e, ["NOT_FOUND"]);
    }
  });

export const action = async ({ request, params }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    const r = await handleCampaignAction(await deps(), session.shop, params.id ?? "", cleanForm(await request.formData()));
    return json({ ok: r.ok, message: r.message }, { status: r.status });
  });

export default function CampaignPage() {
  const data = useLoaderData<typeof loader>();
  const { campaign: c, progress, report, currencyCode, tagFailures, controls, email } = data;
  const [confirmStop, setConfirmStop] = useState(false);
  const f = useFormat();
  const nf = (n: number) => f.number(n);
  const pct = (x: number | null | undefined, digits = 1) => (x == null ? "–" : f.percent(x, digits));
  const pts = (x: number | null | undefined) => (x == null ? "–" : `${x >= 0 ? "+" : ""}${f.fixed(x * 100, 1)} pts`);
  const shopify = useAppBridge();
  const fetcher = useFetcher<{ ok: boolean; message: string }>();
  const revalidator = useRevalidator();
  const money = (x: number | null | undefined) => (x == null ? "–" : f.money(x, { currency: currencyCode }));
  const launching = c.status === "launching";

  // While launching, the page follows the job's step log.
  useEffect(() => {
    if (!launching || c.launchError?.endsWith("(retrying)") === false) return;
    const t = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), 1500);
    return () => clearInterval(t);
  }, [launching, c.launchError, revalidator]);

  useEffect(() => {
    if (fetcher.data) shopify.toast.show(fetcher.data.message, { isError: !fetcher.data.ok });
  }, [fetcher.data, shopify]);

  const act = (intent: string) => fetcher.submit({ intent }, { method: "post" });
  const canStop = c.status === "active" || c.status === "paused" || (launching && !!c.launchError && !c.launchError.endsWith("(retrying)"));
  const m = report?.measurement;
  const g = m?.guardrails;
  const limits = c.settings.guardrails;

  return (
    <Page
      title={c.name}
      titleMetadata={<CampaignStatusBadge status={c.status} failed={!!c.launchError && !c.launchError.endsWith("(retrying)")} />}
      backAction={{ content: "Campaigns", onAction: () => documentNavigate("/app/campaigns") }}
      subtitle={c.launchAt ? `Launched ${f.dateTime(c.launchAt)} · code ${c.discountCode}` : undefined}
      primaryAction={
        c.status === "active"
          ? { content: "Pause", destructive: true, onAction: () => act("pause"), loading: fetcher.state !== "idle" }
          : c.status === "paused"
            ? { content: "Resume", onAction: () => act("resume"), loading: fetcher.state !== "idle" }
            : launching && c.launchError && !c.launchError.endsWith("(retrying)")
              ? { content: "Retry launch", onAction: () => act("retry"), loading: fetcher.state !== "idle" }
              : undefined
      }
      secondaryActions={
        canStop
          ? [{ content: "Stop campaign", destructive: true, onAction: () => setConfirmStop(true), id: "stop-open" } as never]
          : undefined
      }
    >
      <Layout>
        {!email.mailServer || !email.postalAddress ? (
          <Layout.Section>
            <EmailStatusBanner status={email} />
          </Layout.Section>
        ) : null}
        {c.status === "paused" && c.pausedReason ? (
          <Layout.Section>
            <Banner
              tone={g?.status === "pause" || c.pausedReason.startsWith("Paused automatically") ? "critical" : "warning"}
              title="Campaign paused"
            >
              <p id="paused-reason">{c.pausedReason}</p>
              <p>{controls.pause}</p>
              {report?.touches.held ? (
                <p id="held-touches">
                  {nf(report.touches.held)} emails are held. {controls.resume}
                </p>
              ) : null}
            </Banner>
          </Layout.Section>
        ) : null}
        {c.status === "stopped" ? (
          <Layout.Section>
            <Banner tone="info" title="Campaign stopped">
              <p id="stopped-note">
                Stopped {c.stoppedAt ? f.dateTime(c.stoppedAt) : ""}. No further emails go out, the discount code {c.discountCode} has
                ended, and every customer left the sequence. Results are still measured to the end of the{" "}
                {c.settings.reactivationWindowDays}-day window.
              </p>
            </Banner>
          </Layout.Section>
        ) : null}
        {c.marketing?.error ? (
          <Layout.Section>
            <Banner tone="warning" title="Not shown in Shopify's Marketing reports">
              <p id="marketing-report-error">{c.marketing.error}</p>
            </Banner>
          </Layout.Section>
        ) : null}
        {c.status === "active" ? (
          <Layout.Section>
            <Text as="p" tone="subdued" id="controls-help">
              Pause: {controls.pause} Stop: {controls.stop}
            </Text>
          </Layout.Section>
        ) : null}
        {launching && c.launchError ? (
          <Layout.Section>
            <Banner
              tone={c.launchError.endsWith("(retrying)") ? "warning" : "critical"}
              title={c.launchError.endsWith("(retrying)") ? "Launch is retrying" : "Launch stopped"}
            >
              <BlockStack gap="200">
                <p id="launch-error">{c.launchError}</p>
                {c.launchErrorDetails.length ? (
                  <List>
                    {c.launchErrorDetails.map((u, i) => (
                      <List.Item key={i}>
                        {u.field?.length ? `${u.field.join(".")}: ` : ""}
                        {u.message}
                      </List.Item>
                    ))}
                  </List>
                ) : null}
                <p>Fix this in Shopify, then retry: steps already done are not repeated.</p>
              </BlockStack>
            </Banner>
          </Layout.Section>
        ) : null}
        {tagFailures.length ? (
          <Layout.Section>
            <Banner tone="warning" title={`${tagFailures.length} customers could not be tagged and left the campaign`}>
              <List>
                {tagFailures.slice(0, 5).map((f) => (
                  <List.Item key={f.customerId}>
                    Customer {f.customerId}: {f.message}
                  </List.Item>
                ))}
              </List>
            </Banner>
          </Layout.Section>
        ) : null}
        {launching ? (
          <Layout.Section>
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Launching in Shopify
                </Text>
                <ProgressBar
                  progress={Math.round((progress.done / progress.total) * 100)}
                  tone={c.launchError ? "critical" : "highlight"}
                  animated={!c.launchError}
                />
                <List type="number">
                  {progress.steps.map((s) => (
                    <List.Item key={s.step}>
                      <InlineStack gap="200" blockAlign="center">
                        <Text as="span">{s.label}</Text>
                        {s.done ? <Badge tone="success">Done</Badge> : <Badge>Waiting</Badge>}
                        {s.detail ? (
                          <Text as="span" tone="subdued">
                            {s.detail}
                          </Text>
                        ) : null}
                      </InlineStack>
                    </List.Item>
                  ))}
                </List>
              </BlockStack>
            </Card>
          </Layout.Section>
        ) : null}
        {m && report ? (
          <>
            <Layout.Section>
              <InlineGrid columns={{ xs: 1, md: 3 }} gap="400">
                <Card>
                  <BlockStack gap="100">
                    <Text as="h3" variant="headingSm">
                      Reactivation ({report.windowDays} days)
                    </Text>
                    <Text as="p" variant="headingXl" id="reactivation-treated">
                      {pct(m.treated.rate)}
                    </Text>
                    <Text as="p" tone="subdued">
                      treated ({nf(m.treated.reactivated)} of {nf(m.treated.n)}) vs holdout {pct(m.holdout.rate)} (
                      {nf(m.holdout.reactivated)} of {nf(m.holdout.n)})
                    </Text>
                  </BlockStack>
                </Card>
                <Card>
                  <BlockStack gap="100">
                    <Text as="h3" variant="headingSm">
                      Lift
                    </Text>
                    <Text as="p" variant="headingXl" id="lift">
                      {pts(m.lift.absolute)}
                    </Text>
                    <Text as="p" tone="subdued">
                      95% CI {m.lift.ci ? `${pts(m.lift.ci.low)} to ${pts(m.lift.ci.high)}` : "–"}
                      {m.lift.ci && m.lift.ci.low > 0 ? " · significant" : m.lift.ci ? " · not significant yet" : ""}
                    </Text>
                  </BlockStack>
                </Card>
                <Card>
                  <BlockStack gap="100">
                    <Text as="h3" variant="headingSm">
                      Incremental revenue
                    </Text>
                    <Text as="p" variant="headingXl" id="incremental-revenue">
                      {money(m.incrementalRevenue.estimate)}
                    </Text>
                    <Text as="p" tone="subdued">
                      95% CI{" "}
                      {m.incrementalRevenue.ci ? `${money(m.incrementalRevenue.ci.low)} to ${money(m.incrementalRevenue.ci.high)}` : "–"}
                    </Text>
                  </BlockStack>
                </Card>
              </InlineGrid>
            </Layout.Section>
            {data.experiment ? (
              <Layout.Section>
                <ExperimentCard
                  experiment={data.experiment}
                  currencyCode={currencyCode}
                  promoting={fetcher.state !== "idle" && fetcher.formData?.get("intent") === "promote"}
                  onPromote={(arm) => fetcher.submit({ intent: "promote", arm }, { method: "post" })}
                />
              </Layout.Section>
            ) : null}
            <Layout.Section>
              <Card>
                <BlockStack gap="200">
                  <Text as="h2" variant="headingMd">
                    Cumulative reactivation, treated vs holdout
                  </Text>
                  <ReactivationChart series={report.series} />
                </BlockStack>
              </Card>
            </Layout.Section>
            <Layout.Section variant="oneHalf">
              <Card>
                <BlockStack gap="200">
                  <Text as="h2" variant="headingMd">
                    Offer and VIPs
                  </Text>
                  <DataTable
                    columnContentTypes={["text", "numeric"]}
                    headings={["", ""]}
                    rows={[
                      ["Discount redemptions", nf(m.discount.redemptions)],
                      // An experiment's or a program's codes, one line each (ADR 104); the totals above count them all.
                      ...(report.discountByOffer ?? []).map((o) => [`  ${o.code} (${o.label})`, `${nf(o.redemptions)} · ${money(o.cost)}`]),
                      ["Discount cost", money(m.discount.cost)],
                      ["Cost per incremental reactivation", money(m.discount.costPerIncrementalReactivation)],
                      ["Revenue from VIPs won back", money(m.vipWonBackRevenue)],
                      ...report.branches.map((b) => [
                        `${b.branch}: treated vs holdout`,
                        `${pct(b.treated.n ? b.treated.reactivated / b.treated.n : null)} vs ${pct(b.holdout.n ? b.holdout.reactivated / b.holdout.n : null)}`,
                      ]),
                    ]}
                  />
                  <Text as="p" tone="subdued" variant="bodySm">
                    Revenue is what customers paid, already net of the discount. Discount cost: {report.discountCostMethod}.{" "}
                    {report.discountByOffer ? `Codes ${report.discountByOffer.map((o) => o.code).join(", ")}` : `Code ${c.discountCode}`}
                    {c.discountEndsAtLabel ? `, ends ${c.discountEndsAtLabel}` : ""}.
                  </Text>
                </BlockStack>
              </Card>
            </Layout.Section>
            <Layout.Section variant="oneHalf">
              <Card>
                <BlockStack gap="200">
                  <InlineStack align="space-between">
                    <Text as="h2" variant="headingMd">
                      Deliveries and guardrails
                    </Text>
                    {g?.status === "pause" ? (
                      <Badge tone="critical">Over limit</Badge>
                    ) : g?.evaluated ? (
                      <Badge tone="success">Within limits</Badge>
                    ) : (
                      <Badge>Too few deliveries to judge</Badge>
                    )}
                  </InlineStack>
                  <DataTable
                    columnContentTypes={["text", "numeric", "numeric"]}
                    headings={["", "Value", "Limit"]}
                    rows={[
                      ["Emails delivered", nf(report.deliveries.delivered), `judged from ${nf(limits.minDeliveries)}`],
                      [
                        "Unsubscribe rate",
                        `${pct(g?.unsubscribeRate, 2)} (${nf(report.deliveries.unsubscribed)})`,
                        pct(limits.maxUnsubscribeRate, 2),
                      ],
                      [
                        "Complaint rate",
                        `${pct(g?.complaintRate, 2)} (${nf(report.deliveries.complaints)})`,
                        pct(limits.maxComplaintRate, 2),
                      ],
                      [
                        "Touches sent / skipped / held / canceled / scheduled",
                        `${nf(report.touches.sent)} / ${nf(report.touches.skipped)} / ${nf(report.touches.held)} / ${nf(report.touches.canceled)} / ${nf(report.touches.scheduled)}`,
                        "",
                      ],
                      ...report.exits.map((e) => [`Left the sequence: ${e.reason}`, nf(e.n), ""]),
                      // Steps that react to clicks (ADR 101): who got the normal step, who the no-click branch.
                      ...data.variants.map((v) => [
                        `Day ${v.day}: ${v.variant === "no_click" ? "no click by then" : "clicked (normal step)"}`,
                        v.flowOnly ? `${nf(v.sent)} (${nf(v.flowOnly)} by Flow, no email)` : nf(v.sent),
                        "",
                      ]),
                    ]}
                  />
                </BlockStack>
              </Card>
            </Layout.Section>
          </>
        ) : null}
      </Layout>
      <Modal
        open={confirmStop}
        onClose={() => setConfirmStop(false)}
        title="Stop this campaign for good?"
        primaryAction={
          {
            content: "Stop campaign",
            destructive: true,
            loading: fetcher.state !== "idle",
            onAction: () => (act("stop"), setConfirmStop(false)),
            id: "stop-confirm",
          } as never
        }
        secondaryActions={[{ content: "Keep it running", onAction: () => setConfirmStop(false) }]}
      >
        <Modal.Section>
          <Text as="p">{controls.stop}</Text>
        </Modal.Section>
      </Modal>
    </Page>
  );
}
