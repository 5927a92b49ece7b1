import { Banner, BlockStack, Text } from "@shopify/polaris";

/** What app/messaging/page.server.ts's loadEmailStatus sends. */
export interface EmailStatusData {
  mailServer: boolean;
  postalAddress: boolean;
  skipped: Record<string, number>;
}

/**
 * Says, wherever email counts show, why emails are not going out: no mail server (SMTP_URL), or no
 * postal address in the email settings. Skips for these reasons are counted as such, never as
 * customers "without email consent".
 */
export function EmailStatusBanner({ status }: { status: EmailStatusData }) {
  const noServer = status.skipped.no_mail_server ?? 0;
  const noAddress = status.skipped.no_postal_address ?? 0;
  if (status.mailServer && status.postalAddress) return null;
  return (
    <BlockStack gap="200">
      {!status.mailServer ? (
        <Banner tone="warning" title="No mail server is configured: Winback sends no email">
          <Text as="p" id="no-mail-server">
            Set SMTP_URL (and MAIL_FROM) in the app&apos;s environment to send campaign, program and points emails. Until then every email
            is recorded as not sent
            {noServer ? ` (${noServer} in the last 30 days)` : ""}; Flow triggers still fire.
          </Text>
        </Banner>
      ) : null}
      {!status.postalAddress ? (
        <Banner tone="warning" title="Add your shop's postal address" action={{ content: "Email settings", url: "/app/settings/email" }}>
          <Text as="p" id="no-postal-address">
            Commercial email law requires the sender&apos;s postal address in every marketing email, so Winback sends none without it
            {noAddress ? ` (${noAddress} not sent in the last 30 days)` : ""}.
          </Text>
        </Banner>
      ) : null}
    </BlockStack>
  );
}
