import { ApiType, shopifyApiProject } from "@shopify/api-codegen-preset";

// Types for every `#graphql` document in app/, from the committed 2026-10 schema (see scripts/unpack-schema.ts).
export default {
  schema: "app/types/admin-2026-10.schema.json",
  documents: ["./app/**/*.{js,ts,jsx,tsx}"],
  projects: {
    default: shopifyApiProject({
      apiType: ApiType.Admin,
      apiVersion: "2026-10",
      documents: ["./app/**/*.{js,ts,jsx,tsx}", "!./app/types/**"],
      outputDir: "./app/types",
    }),
  },
};
