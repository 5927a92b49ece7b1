import { BlockStack, Button, Card, Checkbox, DataTable, FormLayout, InlineStack, Select, Text, TextField } from "@shopify/polaris";
import type { ArmPlanView } from "../../campaigns/experiment";
import { useFormat } from "../FormatProvider";

/*
 * The plan form's offer experiment (ADR 099): 2–4 arms, each an offer and an optional subject line,
 * and before launch what each arm gets: members, the smallest lift it can show against the holdout
 * and against another arm, and the members per arm a 3-point difference would need. The arms travel
 * to the server as one JSON field (`experiment`), parsed there with the domain's schema.
 */

export interface ArmRow {
  kind: "percentage" | "fixed_amount" | "free_shipping" | "perk";
  value: string;
  subject: string;
  /** a perk arm's words (no code; the emails state it) */
  text?: string;
}

function offerOf(a: ArmRow) {
  if (a.kind === "free_shipping") return { kind: a.kind };
  if (a.kind === "perk") return { kind: a.kind, text: (a.text ?? "").trim() };
  return { kind: a.kind, value: a.value.trim() === "" ? null : Number(a.value) };
}

const KEYS = ["A", "B", "C", "D"];

export function armsToField(enabled: boolean, arms: ArmRow[]): string {
  if (!enabled) return "";
  return JSON.stringify({
    arms: arms.map((a) => ({
      offer: offerOf(a),
      subject: a.subject.trim() || null,
    })),
  });
}

export const DEFAULT_ARMS: ArmRow[] = [
  { kind: "percentage", value: "10", subject: "" },
  { kind: "percentage", value: "20", subject: "" },
];

export function ExperimentArmsForm({
  enabled,
  arms,
  onChange,
  plan,
  currencyCode,
  error,
}: {
  enabled: boolean;
  arms: ArmRow[];
  onChange: (enabled: boolean, arms: ArmRow[]) => void;
  plan: ArmPlanView | null;
  currencyCode: string;
  error?: string | null;
}) {
  const f = useFormat();
  const pts = (x: number | null) => (x == null ? "not measurable" : `${f.fixed(x * 100, 1)} pts`);
  const update = (i: number, patch: Partial<ArmRow>) =>
    onChange(
      enabled,
      arms.map((a, j) => (j === i ? { ...a, ...patch } : a)),
    );
  return (
    <Card>
      <BlockStack gap="300">
        <Text as="h2" variant="headingMd">
          Offer experiment
        </Text>
        <Checkbox
          label="Test offers against each other"
          helpText="Standard customers in the campaign are split evenly over the offers; each offer is compared with the holdout and with the others. VIPs keep their personal outreach."
          checked={enabled}
          onChange={(v) => onChange(v, arms.length >= 2 ? arms : DEFAULT_ARMS)}
        />
        {enabled ? (
          <BlockStack gap="300">
            {arms.map((a, i) => (
              <FormLayout key={KEYS[i]}>
                <FormLayout.Group condensed>
                  <Select
                    label={`Offer ${KEYS[i]}`}
                    options={[
                      { label: "Percentage off", value: "percentage" },
                      { label: `Amount off (${currencyCode})`, value: "fixed_amount" },
                      { label: "Free shipping", value: "free_shipping" },
                      { label: "Perk (no code)", value: "perk" },
                    ]}
                    value={a.kind}
                    onChange={(v) => update(i, { kind: v as ArmRow["kind"] })}
                  />
                  {a.kind === "perk" ? (
                    <TextField
                      label="Perk"
                      autoComplete="off"
                      placeholder="Early access to the new collection"
                      helpText="Stated in the emails in your words; no code is created"
                      value={a.text ?? ""}
                      maxLength={200}
                      onChange={(v) => update(i, { text: v })}
                    />
                  ) : a.kind === "free_shipping" ? (
                    <Text as="p" tone="subdued">
                      A free-shipping code with the campaign&apos;s terms, for every destination
                    </Text>
                  ) : (
                    <TextField
                      label="Value"
                      type="number"
                      autoComplete="off"
                      suffix={a.kind === "percentage" ? "%" : currencyCode}
                      value={a.value}
                      onChange={(v) => update(i, { value: v })}
                    />
                  )}
                  <TextField
                    label="Subject line (optional)"
                    autoComplete="off"
                    placeholder="the template's subject"
                    helpText="{first_name}, {offer} and {shop} are filled in"
                    value={a.subject}
                    maxLength={150}
                    onChange={(v) => update(i, { subject: v })}
                  />
                </FormLayout.Group>
                {arms.length > 2 ? (
                  <InlineStack align="end">
                    <Button
                      variant="plain"
                      tone="critical"
                      onClick={() =>
                        onChange(
                          enabled,
                          arms.filter((_, j) => j !== i),
                        )
                      }
                    >
                      {`Remove offer ${KEYS[i]}`}
                    </Button>
                  </InlineStack>
                ) : null}
              </FormLayout>
            ))}
            {arms.length < 4 ? (
              <InlineStack>
                <Button onClick={() => onChange(enabled, [...arms, { kind: "percentage", value: "", subject: "" }])}>Add an offer</Button>
              </InlineStack>
            ) : null}
            {error ? (
              <Text as="p" tone="critical">
                {error}
              </Text>
            ) : null}
            {plan ? (
              <BlockStack gap="200">
                <DataTable
                  columnContentTypes={["text", "numeric", "numeric", "numeric"]}
                  headings={["Offer", "Members", "Detectable vs holdout", "Detectable vs another offer"]}
                  rows={plan.arms.map((a) => [
                    `${a.key} · ${a.label}`,
                    f.number(a.members),
                    pts(plan.mdeVsHoldout),
                    pts(plan.mdeBetweenArms),
                  ])}
                />
                <Text as="p" tone="subdued" variant="bodySm">
                  Detectable: the smallest difference in reactivation rate found with 80% power by the end of the window, with intervals
                  that stay valid however often you look ({f.percent(plan.alphaPerComparison, 2)} per comparison, 5% for all together), from
                  a baseline of {f.percent(plan.baselineRate)}. Telling two offers {pts(plan.targetLift)} apart needs{" "}
                  {plan.perArmNeeded == null ? "more customers than any shop has" : `${f.number(plan.perArmNeeded)} members per offer`}
                  {plan.perArmNeeded != null && plan.perArmNeeded > plan.perArm ? ` (this plan has ${f.number(plan.perArm)})` : ""}.
                </Text>
              </BlockStack>
            ) : null}
          </BlockStack>
        ) : null}
      </BlockStack>
    </Card>
  );
}
