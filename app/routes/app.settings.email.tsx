import { useEffect, useMemo, useState } from "react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import {
  Banner,
  BlockStack,
  Box,
  Button,
  Card,
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
import { adminScope, appContext } from "../app.server";
import { cleanForm, formObject } from "../lib/form";
import { LOCALE_NAMES, LOCALES, type Locale } from "../lib/i18n";
import { composeEmail, defaultBlocks, sampleContent, withHtmlFooter } from "../messaging/compose";
import { loadEmailSettingsPage, saveEmailSettings } from "../messaging/page.server";
import { TEMPLATE_IDS, type TemplateId } from "../messaging/settings";
import { EmailStatusBanner } from "../components/EmailStatusBanner";

export const loader = async ({ request }: LoaderFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    return json(await loadEmailSettingsPage(appContext, session.shop));
  });

export const action = async ({ request }: ActionFunctionArgs) =>
  adminScope(request, async ({ session }) => {
    const result = await saveEmailSettings(appContext, session.shop, formObject(cleanForm(await request.formData())));
    return json(result, { status: result.ok ? 200 : 400 });
  });

const TEMPLATE_LABELS: Record<TemplateId, string> = {
  "winback_standard.first": "Standard win-back: first email (with the code)",
  "winback_standard.reminder": "Standard win-back: reminders",
  "winback_vip.first": "VIP: personal note from the concierge",
  "winback_vip.followup": "VIP: follow-up note",
  points_nudge: "Points: expiry reminder",
};

type Values = Record<string, string>;

export default function EmailSettings() {
  const { settings, shop, status, now, visitsEmbedUrl } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const shopify = useAppBridge();
  const [values, setValues] = useState<Values>(() => {
    const v: Values = {
      senderName: settings.senderName,
      replyTo: settings.replyTo,
      postalAddress: settings.postalAddress,
      locale: settings.locale,
      contactCapPer30Days: String(settings.contactCapPer30Days),
    };
    for (const id of TEMPLATE_IDS) {
      const b = settings.templates[id];
      v[`${id}.subject`] = b?.subject ?? "";
      v[`${id}.intro`] = b?.intro ?? "";
      v[`${id}.closing`] = b?.closing ?? "";
    }
    return v;
  });
  const [template, setTemplate] = useState<TemplateId>("winback_standard.first");
  const errors: Record<string, string> = result && !result.ok ? result.fieldErrors : {};
  const set = (name: string) => (v: string) => setValues((x) => ({ ...x, [name]: v }));
  const locale = values.locale as Locale;

  useEffect(() => {
    if (result?.ok) shopify.toast.show("Email settings saved");
    else if (result && !result.ok) shopify.toast.show("Check the highlighted fields", { isError: true });
  }, [result, shopify]);

  const defaults = defaultBlocks(template, locale);
  // The same composer the messenger uses, so the preview is the email customers get.
  const preview = useMemo(() => {
    const shopName = values.senderName.trim() || shop.name;
    const mail = composeEmail(sampleContent(template, locale, new Date(now), shop.domain), {
      locale,
      shopName,
      currencyCode: shop.currencyCode,
      timeZone: shop.ianaTimezone,
      templates: {
        [template]: {
          subject: values[`${template}.subject`] ?? "",
          intro: values[`${template}.intro`] ?? "",
          closing: values[`${template}.closing`] ?? "",
        },
      },
    });
    const html = withHtmlFooter(mail.html, { shopName, postalAddress: values.postalAddress, url: "#unsubscribe", locale });
    const isVip = template.startsWith("winback_vip");
    return {
      subject: mail.subject,
      from: isVip ? `Sam (${shopName})` : shopName,
      replyTo: isVip ? "the concierge's email (outreach settings)" : values.replyTo.trim() || shop.email || "none",
      doc: `<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,sans-serif;font-size:14px;line-height:1.5;margin:16px;color:#222">${html}</body></html>`,
    };
  }, [values, template, locale, now, shop]);

  return (
    <Page title="Email settings" backAction={{ content: "Settings", url: "/app/settings" }}>
      <Form method="post">
        <Layout>
          <Layout.Section>
            <BlockStack gap="300">
              <EmailStatusBanner status={status} />
              {settings.defaultsError ? (
                <Banner tone="warning" title="Shopify's shop address could not be read">
                  <Text as="p">{settings.defaultsError}. Type the postal address below.</Text>
                </Banner>
              ) : null}
              {result && !result.ok ? (
                <Banner tone="critical" title="Nothing was saved">
                  <Text as="p">{result.error}</Text>
                </Banner>
              ) : null}
            </BlockStack>
          </Layout.Section>
          <Layout.AnnotatedSection
            title="Sender"
            description="Every marketing email shows your shop as the sender, replies come to you, and the footer carries your postal address and an unsubscribe link, as commercial email law asks."
          >
            <Card>
              <FormLayout>
                <TextField
                  label="Sender name"
                  name="senderName"
                  autoComplete="off"
                  value={values.senderName}
                  onChange={set("senderName")}
                  placeholder={shop.name}
                  error={errors.senderName}
                  helpText="Shown as the From name. VIP notes show the concierge's name first."
                />
                <TextField
                  label="Reply-to address"
                  name="replyTo"
                  type="email"
                  autoComplete="off"
                  value={values.replyTo}
                  onChange={set("replyTo")}
                  placeholder={shop.email ?? "hello@yourshop.com"}
                  error={errors.replyTo}
                  helpText="Where customers' replies go. VIP notes reply to the named concierge."
                />
                <TextField
                  label="Postal address"
                  name="postalAddress"
                  autoComplete="off"
                  multiline={3}
                  value={values.postalAddress}
                  onChange={set("postalAddress")}
                  error={errors.postalAddress}
                  helpText={
                    settings.postalAddressSource === "shopify"
                      ? "From your shop's address in Shopify; edit it if customers should see another one."
                      : "Required: Winback sends no marketing email without it."
                  }
                />
                <InlineGrid columns={2} gap="300">
                  <Select
                    label="Customers' language"
                    name="locale"
                    options={LOCALES.map((l) => ({ label: LOCALE_NAMES[l], value: l }))}
                    value={values.locale}
                    onChange={set("locale")}
                    helpText="Emails, unsubscribe pages and the points banner."
                    error={errors.locale}
                  />
                  <TextField
                    label="Contact cap"
                    name="contactCapPer30Days"
                    type="text"
                    inputMode="numeric"
                    autoComplete="off"
                    value={values.contactCapPer30Days}
                    onChange={set("contactCapPer30Days")}
                    suffix="emails per customer per 30 days"
                    error={errors.contactCapPer30Days}
                    helpText="Across campaigns, programs and points reminders. Emails over the cap are not sent."
                  />
                </InlineGrid>
              </FormLayout>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection
            title="Messages"
            description="Rewrite the subject, the opening and the closing of each email. Leave a field empty to keep Winback's text. Placeholders: {first_name} {shop} {offer} {code} {ends} {concierge} {perk} {points} {value} {date}."
          >
            <Card>
              <BlockStack gap="300">
                <Select
                  label="Message"
                  options={TEMPLATE_IDS.map((id) => ({ label: TEMPLATE_LABELS[id], value: id }))}
                  value={template}
                  onChange={(v) => setTemplate(v as TemplateId)}
                />
                <TextField
                  label="Subject"
                  autoComplete="off"
                  value={values[`${template}.subject`]}
                  onChange={set(`${template}.subject`)}
                  placeholder={defaults.subject}
                  error={errors[`${template}.subject`]}
                />
                <TextField
                  label="Opening"
                  autoComplete="off"
                  multiline={3}
                  value={values[`${template}.intro`]}
                  onChange={set(`${template}.intro`)}
                  placeholder={defaults.intro}
                  error={errors[`${template}.intro`]}
                />
                <TextField
                  label="Closing"
                  autoComplete="off"
                  multiline={2}
                  value={values[`${template}.closing`]}
                  onChange={set(`${template}.closing`)}
                  placeholder={defaults.closing}
                  error={errors[`${template}.closing`]}
                />
                {TEMPLATE_IDS.flatMap((id) =>
                  ["subject", "intro", "closing"].map((part) => (
                    <input key={`${id}.${part}`} type="hidden" name={`${id}.${part}`} value={values[`${id}.${part}`] ?? ""} />
                  )),
                )}
                <Text as="h3" variant="headingSm">
                  Preview
                </Text>
                <Box padding="300" background="bg-surface-secondary" borderRadius="200">
                  <BlockStack gap="100">
                    <Text as="p" id="preview-from">
                      From: {preview.from}
                    </Text>
                    <Text as="p" id="preview-reply-to">
                      Reply-to: {preview.replyTo}
                    </Text>
                    <Text as="p" id="preview-subject" fontWeight="semibold">
                      Subject: {preview.subject}
                    </Text>
                  </BlockStack>
                </Box>
                <iframe
                  title="Email preview"
                  id="email-preview"
                  sandbox=""
                  srcDoc={preview.doc}
                  style={{ width: "100%", height: 460, border: "1px solid #ddd", borderRadius: 8 }}
                />
              </BlockStack>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.AnnotatedSection
            title="Storefront visits"
            description="See on a customer's profile when they came back to your store after an email. Only logged-in customers, and only where your store's privacy settings allow analytics."
          >
            <Card>
              <BlockStack gap="200">
                <Text as="p">
                  The visits app embed is off until you turn it on in your theme. It sends the page a logged-in customer opened (no query
                  string, no IP address) through the app proxy; guests are never tracked.
                </Text>
                <InlineStack>
                  <Button url={visitsEmbedUrl} target="_blank">
                    Turn on visit tracking in your theme
                  </Button>
                </InlineStack>
              </BlockStack>
            </Card>
          </Layout.AnnotatedSection>
          <Layout.Section>
            <InlineGrid columns={["oneHalf", "oneHalf"]}>
              <span />
              <Box>
                <Button submit variant="primary" loading={nav.state === "submitting"}>
                  Save
                </Button>
              </Box>
            </InlineGrid>
          </Layout.Section>
        </Layout>
      </Form>
    </Page>
  );
}
