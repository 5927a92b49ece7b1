import { Banner, Layout } from "@shopify/polaris";

/**
 * A settings form the server refused: nothing was stored. `errors.form` is a message about the whole
 * form; field messages show on their fields.
 */
export function NotSavedBanner({ errors }: { errors: Record<string, string | undefined> }) {
  if (!Object.keys(errors).length) return null;
  return (
    <Layout.Section>
      <Banner tone="critical" title="Nothing was saved">
        <p>{errors.form ?? "Some values are not valid; see the fields below."}</p>
      </Banner>
    </Layout.Section>
  );
}
