import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import type { ShouldRevalidateFunction } from "@remix-run/react";
import { json } from "@remix-run/node";
import { useFetcher, useLoaderData } from "@remix-run/react";
import { useAppBridge } from "@shopify/app-bridge-react";
import {
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
  Checkbox,
  DataTable,
  FormLayout,
  InlineStack,
  Layout,
  Link,
  List,
  Modal,
  Page,
  Select,
  Text,
  TextField,
} from "@shopify/polaris";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { database } from "../db.server";
import { httpStatusFor, type ErrorCode } from "../lib/errors";
import { documentNavigate } from "../components/campaigns/navigation";
import { handlePlanAction, loadPlanPage, type PlanActionResult, type PlanPreview } from "../campaigns/page.server";
import { adminScope, campaignDeps } from "../app.server";
import { useFormat } from "../components/FormatProvider";
import { QiniTargetingCard } from "../components/charts/QiniTargetingCard";
import { armsToField, DEFAULT_ARMS, ExperimentArmsForm, type ArmRow } from "../components/campaigns/ExperimentArmsForm";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    await database.ready();
    // The page names the campaign after this month: the loader's clock, not the browser's, so the
    // server's HTML and the hydrating client agree.
    const now = new Date();
    return json({ ...(await loadPlanPage(database.sql, session.shop, now)), now: now.toISOString() });
  });

export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    const r = await handlePlanAction(await campaignDeps(), session.shop, await request.formData());
    // Client errors keep their own status (400 bad field, 409 launch key of another shop); "nothing to
    // launch yet" is 422: the request was well formed, the shop's data is not ready.
    return json(r, { status: r.ok ? 200 : r.code === "INSUFFICIENT_DATA" ? 422 : httpStatusFor(r.code as ErrorCode) });
  });

// The loader mints the launch key; re-running it after a preview or launch POST would hand the
// page a new key (and a second campaign on the next click), so this page's own POSTs never revalidate.
export const shouldRevalidate: ShouldRevalidateFunction = ({ formMethod, defaultShouldRevalidate }) =>
  formMethod && formMethod.toUpperCase() === "POST" ? false : defaultShouldRevalidate;

// DataTable cells do not wrap; the plan's sentences must, or the numbers scroll out of view.
const Wrap = ({ children }: { children: string }) => (
  <span style={{ whiteSpace: "normal", display: "inline-block", minWidth: 110 }}>{children}</span>
);

function productTitles(json: string): string {
  try {
    return (JSON.parse(json || "[]") as Array<{ title: string }>).map((p) => p.title).join(", ");
  } catch {
    return "";
  }
}

/** How many targets the plan leaves out and why (ADR 077: no customer is in two campaigns at once). */
function excludedText(p: Pick<PlanPreview, "excluded">, nf: (n: number) => string): string {
  const { active_sequence: seq, open_holdout: hold } = p.excluded;
  if (seq + hold === 0) return "No target customer is excluded: none is in another campaign's sequence or open holdout.";
  return `${nf(seq + hold)} target customers are excluded: ${nf(seq)} still in another campaign's or program's email sequence, ${nf(hold)} in another campaign's holdout whose measurement window is still open.`;
}

interface FormState {
  name: string;
  discountKind: string;
  discountValue: string;
  minimumSubtotal: string;
  validityDays: string;
  combinesOrder: boolean;
  combinesProduct: boolean;
  combinesShipping: boolean;
  appliesToKind: string;
  /** JSON list of { id, title } from the product picker */
  appliesToProducts: string;
  holdoutPercent: string;
  conciergeName: string;
  conciergeRole: string;
  perkOverride: string;
  owner: string;
  maxUnsubscribePercent: string;
  maxComplaintPercent: string;
  minDeliveries: string;
  frequencyCapHours: string;
  targetingBy: string;
  targetMaxCustomers: string;
  targetMaxDiscountCost: string;
  marginPercent: string;
  /** the offer experiment's arms as JSON (ADR 099); empty: one offer */
  experiment: string;
}

function initialForm(p: PlanPreview, monthYear: string): FormState {
  const s = p.settings;
  return {
    name: `Win-back ${monthYear}`,
    discountKind: s.discount.kind,
    discountValue: String(s.discount.value),
    minimumSubtotal: s.discount.minimumSubtotal == null ? "" : String(s.discount.minimumSubtotal),
    validityDays: String(s.discount.validityDays),
    combinesOrder: s.discount.combinesWith.orderDiscounts,
    combinesProduct: s.discount.combinesWith.productDiscounts,
    combinesShipping: s.discount.combinesWith.shippingDiscounts,
    appliesToKind: s.discount.appliesTo.kind,
    appliesToProducts: JSON.stringify(s.discount.appliesTo.products),
    holdoutPercent: String(Math.round(s.holdoutShare * 1000) / 10),
    conciergeName: s.vip.conciergeName,
    conciergeRole: s.vip.conciergeRole,
    perkOverride: s.vip.perkOverride ?? "",
    owner: s.vip.owner,
    maxUnsubscribePercent: String(Math.round(s.guardrails.maxUnsubscribeRate * 10000) / 100),
    maxComplaintPercent: String(Math.round(s.guardrails.maxComplaintRate * 10000) / 100),
    minDeliveries: String(s.guardrails.minDeliveries),
    frequencyCapHours: String(s.frequencyCapHours),
    targetingBy: s.targeting.by,
    targetMaxCustomers: s.targeting.maxCustomers == null ? "" : String(s.targeting.maxCustomers),
    targetMaxDiscountCost: s.targeting.maxDiscountCost == null ? "" : String(s.targeting.maxDiscountCost),
    marginPercent: String(Math.round(s.targeting.margin * 1000) / 10),
    experiment: "",
  };
}

function toFormData(launchKey: string, f: FormState, intent: "preview" | "launch") {
  const fd = new FormData();
  fd.set("intent", intent);
  fd.set("launchKey", launchKey);
  fd.set("stacking", "1");
  for (const [k, v] of Object.entries(f)) {
    if (typeof v === "boolean") {
      if (v) fd.set(k, "on");
    } else fd.set(k, v);
  }
  return fd;
}

export default function PlanCampaign() {
  const loaded = useLoaderData<typeof loader>();
  const f = useFormat();
  const nf = useCallback((n: number) => f.number(n), [f]);
  const pct = useCallback((x: number | null) => (x == null ? "not measurable" : `${f.fixed(x * 100, 1)} pts`), [f]);
  // Pinned for the life of the page view: the key is the campaign id the preview's holdout was computed for.
  const [{ launchKey, tag, discountCode }] = useState(() => ({
    launchKey: loaded.launchKey,
    tag: loaded.tag,
    discountCode: loaded.discountCode,
  }));
  const initial = loaded.preview;
  const shopify = useAppBridge();
  const previewer = useFetcher<PlanActionResult>();
  const launcher = useFetcher<PlanActionResult>();
  const [form, setForm] = useState<FormState>(() => initialForm(initial as unknown as PlanPreview, f.monthYear(loaded.now)));
  const [confirming, setConfirming] = useState(false);
  const [offers, setOffers] = useState<{ enabled: boolean; arms: ArmRow[] }>({ enabled: false, arms: DEFAULT_ARMS });
  const timer = useRef<ReturnType<typeof setTimeout>>();

  const last = previewer.data;
  const preview: PlanPreview = (last?.ok && last.intent === "preview" ? last.preview : initial) as PlanPreview;
  const previewError = last && !last.ok ? last.error : null;
  // Field messages from the last preview or launch, shown on the fields themselves (Polaris `error`).
  const fieldErrors: Record<string, string> =
    (launcher.data && !launcher.data.ok ? launcher.data.fieldErrors : undefined) ?? (last && !last.ok ? last.fieldErrors : undefined) ?? {};

  const set = useCallback(
    <K extends keyof FormState>(k: K) =>
      (v: FormState[K]) => {
        setForm((f) => {
          const next = { ...f, [k]: v };
          clearTimeout(timer.current);
          // Live counts and MDE: the server recomputes the plan (exact holdout for this launch key).
          timer.current = setTimeout(() => previewer.submit(toFormData(launchKey, next, "preview"), { method: "post" }), 300);
          return next;
        });
      },
    [launchKey, previewer],
  );

  const [goTo, setGoTo] = useState<string | null>(null);
  useEffect(() => {
    const d = launcher.data;
    if (d?.ok && d.intent === "launch") {
      shopify.toast.show("Campaign launching");
      // Close the modal first: Polaris' Modal crashes when the page unmounts under an open modal (scroll lock).
      // eslint-disable-next-line react-hooks/set-state-in-effect -- reacts to the fetcher's answer from the server
      setConfirming(false);
      setGoTo(`/app/campaigns/${d.campaignId}`);
    } else if (d && !d.ok) {
      setConfirming(false);
      shopify.toast.show(d.error, { isError: true });
    }
  }, [launcher.data, shopify]);

  useEffect(() => {
    if (!goTo || confirming) return;
    const t = setTimeout(() => documentNavigate(goTo), 350);
    return () => clearTimeout(t);
  }, [goTo, confirming]);

  const rows = useMemo(
    () =>
      preview.rows.map((r) => [
        r.segment,
        <Wrap key="s">{r.silenceSignal}</Wrap>,
        <Wrap key="a">{r.action}</Wrap>,
        <Wrap key="c">{r.channel}</Wrap>,
        <Wrap key="t">{r.timing}</Wrap>,
        nf(r.treated),
        nf(r.holdout),
        pct(r.mdeLift),
      ]),
    [preview.rows, nf, pct],
  );
  // Shopify's product picker (App Bridge); the chosen ids go to the discount's items, the titles into the email.
  const pickProducts = useCallback(async () => {
    const picker = (shopify as unknown as { resourcePicker?: (o: object) => Promise<Array<{ id: string; title: string }> | undefined> })
      .resourcePicker;
    if (!picker) return;
    const current = JSON.parse(form.appliesToProducts || "[]") as Array<{ id: string }>;
    const chosen = await picker({ type: "product", multiple: true, action: "select", selectionIds: current.map((p) => ({ id: p.id })) });
    if (chosen) set("appliesToProducts")(JSON.stringify(chosen.map((p) => ({ id: p.id, title: p.title }))));
  }, [shopify, form.appliesToProducts, set]);
  const launching = launcher.state !== "idle";
  const launchError = launcher.data && !launcher.data.ok ? launcher.data.error : null;

  return (
    <Page
      title="Plan a win-back campaign"
      backAction={{ content: "Campaigns", onAction: () => documentNavigate("/app/campaigns") }}
      primaryAction={
        {
          content: "Launch…",
          onAction: () => setConfirming(true),
          disabled: preview.treated === 0 || !!previewError,
          id: "launch-open",
        } as never
      }
    >
      <Layout>
        {launchError ? (
          <Layout.Section>
            <Banner tone="critical" title="The campaign was not launched">
              <p>{launchError}</p>
            </Banner>
          </Layout.Section>
        ) : null}
        {previewError ? (
          <Layout.Section>
            <Banner tone="warning" title="Check the settings">
              <p id="plan-error">{previewError}</p>
            </Banner>
          </Layout.Section>
        ) : null}
        <Layout.Section>
          <Card padding="0">
            <Box padding="400">
              <BlockStack gap="100">
                <Text as="h2" variant="headingMd">
                  The plan
                </Text>
                <Text as="p" tone="subdued">
                  {nf(preview.treated)} customers get the campaign; the holdout gets nothing and shows what would have happened anyway.
                </Text>
                <Text as="p" tone="subdued" id="plan-excluded">
                  {excludedText(preview, nf)}
                </Text>
              </BlockStack>
            </Box>
            <div id="plan-table">
              <DataTable
                columnContentTypes={["text", "text", "text", "text", "text", "numeric", "numeric", "numeric"]}
                headings={["Segment", "Silence signal", "Action", "Channel", "Timing", "Treated", "Holdout", "Detectable lift"]}
                rows={rows}
                verticalAlign="middle"
              />
            </div>
            <Box padding="400">
              <Text as="p" tone="subdued" variant="bodySm">
                Minimum detectable lift: the smallest rise in the {preview.settings.reactivationWindowDays}-day reactivation rate this split
                detects with 80% power (two-sided, 5%), from a baseline of {f.percent(preview.baseline.rate)}
                {preview.baseline.assumed
                  ? " (assumed: not enough history yet)"
                  : ` (measured on ${nf(preview.baseline.basis)} lapsed customers)`}
                .
              </Text>
            </Box>
          </Card>
        </Layout.Section>
        {preview.targeting ? (
          <Layout.Section>
            <QiniTargetingCard
              targeting={preview.targeting}
              fields={form}
              onChange={set}
              errors={fieldErrors}
              currencyCode={preview.currencyCode}
            />
          </Layout.Section>
        ) : null}
        <Layout.Section>
          <ExperimentArmsForm
            enabled={offers.enabled}
            arms={offers.arms}
            onChange={(enabled, arms) => {
              setOffers({ enabled, arms });
              set("experiment")(armsToField(enabled, arms));
            }}
            plan={preview.experiment}
            currencyCode={preview.currencyCode}
            error={previewError?.startsWith("experiment:") ? previewError : null}
          />
        </Layout.Section>
        <Layout.Section variant="oneHalf">
          <Card>
            <BlockStack gap="300">
              <Text as="h2" variant="headingMd">
                Standard offer
              </Text>
              <FormLayout>
                <FormLayout.Group>
                  <Select
                    label="Discount"
                    options={[
                      { label: "Percentage", value: "percentage" },
                      { label: `Fixed amount (${preview.currencyCode})`, value: "fixed_amount" },
                    ]}
                    value={form.discountKind}
                    onChange={set("discountKind")}
                  />
                  <TextField
                    label={form.discountKind === "percentage" ? "Percent off" : "Amount off"}
                    type="text"
                    inputMode="decimal"
                    value={form.discountValue}
                    onChange={set("discountValue")}
                    autoComplete="off"
                    error={fieldErrors.discountValue}
                    suffix={form.discountKind === "percentage" ? "%" : preview.currencyCode}
                  />
                </FormLayout.Group>
                <FormLayout.Group>
                  <TextField
                    label="Minimum subtotal"
                    type="text"
                    inputMode="decimal"
                    value={form.minimumSubtotal}
                    onChange={set("minimumSubtotal")}
                    autoComplete="off"
                    error={fieldErrors.minimumSubtotal}
                    placeholder="None"
                    suffix={preview.currencyCode}
                  />
                  <TextField
                    label="Valid for"
                    type="text"
                    inputMode="numeric"
                    value={form.validityDays}
                    onChange={set("validityDays")}
                    autoComplete="off"
                    error={fieldErrors.validityDays}
                    suffix="days"
                    helpText={`Ends ${preview.discountEndsAtLabel}`}
                  />
                </FormLayout.Group>
                <BlockStack gap="100">
                  <Text as="span">Combines with</Text>
                  <Checkbox label="Product discounts" checked={form.combinesProduct} onChange={set("combinesProduct")} />
                  <Checkbox label="Order discounts" checked={form.combinesOrder} onChange={set("combinesOrder")} />
                  <Checkbox label="Shipping discounts" checked={form.combinesShipping} onChange={set("combinesShipping")} />
                </BlockStack>
                <Select
                  label="Applies to"
                  options={[
                    { label: "Every item", value: "all" },
                    { label: "Only some products", value: "products" },
                  ]}
                  value={form.appliesToKind}
                  onChange={set("appliesToKind")}
                  helpText="Shopify enforces this: the code reduces no other item, and the email names the products."
                />
                {form.appliesToKind === "products" ? (
                  <BlockStack gap="100">
                    <Text as="p" tone={fieldErrors.appliesToProducts ? "critical" : "subdued"} id="applies-to-products">
                      {productTitles(form.appliesToProducts) || fieldErrors.appliesToProducts || "No product chosen yet"}
                    </Text>
                    <InlineStack>
                      <Button onClick={() => void pickProducts()}>Choose products</Button>
                    </InlineStack>
                  </BlockStack>
                ) : null}
              </FormLayout>
            </BlockStack>
          </Card>
        </Layout.Section>
        <Layout.Section variant="oneHalf">
          <BlockStack gap="400">
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  VIP check-in
                </Text>
                <FormLayout>
                  <FormLayout.Group>
                    <TextField
                      label="Concierge"
                      value={form.conciergeName}
                      onChange={set("conciergeName")}
                      autoComplete="off"
                      error={fieldErrors.conciergeName}
                      placeholder="Staff member's name"
                    />
                    <TextField
                      label="Role"
                      value={form.conciergeRole}
                      onChange={set("conciergeRole")}
                      autoComplete="off"
                      error={fieldErrors.conciergeRole}
                    />
                  </FormLayout.Group>
                  <TextField
                    label="Escalate unanswered VIPs to"
                    value={form.owner}
                    onChange={set("owner")}
                    autoComplete="off"
                    error={fieldErrors.owner}
                    placeholder="Staff name, or one email address"
                    helpText="With an email address, that person gets a digest of escalated VIPs."
                  />
                  <TextField
                    label="Perk"
                    value={form.perkOverride}
                    onChange={set("perkOverride")}
                    autoComplete="off"
                    error={fieldErrors.perkOverride}
                    placeholder="Suggested per VIP from their own purchases"
                    helpText="Leave empty to suggest a perk from each VIP's history (restock hold, early access, bundle)."
                  />
                </FormLayout>
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Measurement
                </Text>
                <Text as="p" tone="subdued">
                  Touch days, the offer&apos;s grace days and the {preview.settings.reactivationWindowDays}-day measurement window come from
                  the <Link url="/app/settings/campaigns">campaign settings</Link>.
                </Text>
                <FormLayout>
                  <TextField
                    label="Campaign name"
                    value={form.name}
                    onChange={(v) => setForm((f) => ({ ...f, name: v }))}
                    autoComplete="off"
                    error={fieldErrors.name}
                  />
                  <TextField
                    label="Holdout share"
                    type="text"
                    inputMode="decimal"
                    value={form.holdoutPercent}
                    onChange={set("holdoutPercent")}
                    autoComplete="off"
                    error={fieldErrors.holdoutPercent}
                    suffix="%"
                    helpText="Kept out of every message, in each branch, to measure the real effect."
                  />
                </FormLayout>
              </BlockStack>
            </Card>
            <Card>
              <BlockStack gap="300">
                <Text as="h2" variant="headingMd">
                  Guardrails
                </Text>
                <Text as="p" tone="subdued">
                  The campaign pauses itself and tells you when a limit is crossed, once it has enough deliveries to judge.
                </Text>
                <FormLayout>
                  <FormLayout.Group>
                    <TextField
                      label="Unsubscribe rate limit"
                      type="text"
                      inputMode="decimal"
                      value={form.maxUnsubscribePercent}
                      onChange={set("maxUnsubscribePercent")}
                      autoComplete="off"
                      error={fieldErrors.maxUnsubscribePercent}
                      suffix="%"
                    />
                    <TextField
                      label="Complaint rate limit"
                      type="text"
                      inputMode="decimal"
                      value={form.maxComplaintPercent}
                      onChange={set("maxComplaintPercent")}
                      autoComplete="off"
                      error={fieldErrors.maxComplaintPercent}
                      suffix="%"
                    />
                  </FormLayout.Group>
                  <FormLayout.Group>
                    <TextField
                      label="Judge after"
                      type="text"
                      inputMode="numeric"
                      value={form.minDeliveries}
                      onChange={set("minDeliveries")}
                      autoComplete="off"
                      error={fieldErrors.minDeliveries}
                      suffix="deliveries"
                    />
                    <TextField
                      label="At most one win-back email per customer every"
                      type="text"
                      inputMode="decimal"
                      value={form.frequencyCapHours}
                      onChange={set("frequencyCapHours")}
                      autoComplete="off"
                      error={fieldErrors.frequencyCapHours}
                      suffix="hours"
                      helpText="Across all campaigns."
                    />
                  </FormLayout.Group>
                </FormLayout>
              </BlockStack>
            </Card>
          </BlockStack>
        </Layout.Section>
      </Layout>
      <Modal
        open={confirming}
        onClose={() => setConfirming(false)}
        title="Launch this campaign?"
        primaryAction={
          {
            content: "Launch",
            loading: launching,
            disabled: launching,
            onAction: () => launcher.submit(toFormData(launchKey, form, "launch"), { method: "post" }),
            id: "launch-confirm",
          } as never
        }
        secondaryActions={[{ content: "Cancel", onAction: () => setConfirming(false) }]}
      >
        <Modal.Section>
          <BlockStack gap="300">
            <Text as="p">This creates in Shopify:</Text>
            <div id="launch-summary">
              <List>
                <List.Item>
                  Tag “{tag}” on {nf(preview.standardTreated)} Standard customers, and “{tag}-vip” on {nf(preview.vipTreated)} VIPs
                </List.Item>
                <List.Item>One customer segment: customers tagged “{tag}” (VIPs are not in it, so they cannot use the code)</List.Item>
                {preview.experiment ? (
                  <List.Item>
                    Instead of one code, one segment and one code per offer, each for its own share of the Standard customers (tagged{" "}
                    {`“${tag}-a”, “${tag}-b”…`}):{" "}
                    {preview.experiment.arms.map((a) => `${discountCode}-${a.key} (${a.label}, ${nf(a.members)})`).join(", ")}, ending{" "}
                    {preview.discountEndsAtLabel}
                  </List.Item>
                ) : (
                  <List.Item>
                    One discount code {discountCode} (
                    {preview.rows.find((r) => r.segment === "Standard")?.action.replace(/^Limited-time offer \(|, ends.*$/g, "")}) for that
                    segment only, ending {preview.discountEndsAtLabel}
                  </List.Item>
                )}
                <List.Item>{nf(preview.vipTreated)} VIP outreach tasks in the app</List.Item>
                <List.Item>
                  {nf(preview.day0Emails)} emails on day 0: the treated customers subscribed to email marketing and not unsubscribed here
                  {preview.treated > preview.day0Emails
                    ? ` (${nf(preview.treated - preview.day0Emails)} others get no email, only the Flow trigger)`
                    : ""}
                  ; each with a Flow trigger
                </List.Item>
              </List>
            </div>
            <Text as="p" tone="subdued">
              {excludedText(preview, nf)}
            </Text>
            <InlineStack gap="100">
              <Text as="p" tone="subdued">
                {nf(preview.rows.reduce((n, r) => n + r.holdout, 0))} holdout customers get nothing. Launching again from this page does not
                create anything twice.
              </Text>
            </InlineStack>
          </BlockStack>
        </Modal.Section>
      </Modal>
    </Page>
  );
}
