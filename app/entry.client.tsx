import { RemixBrowser } from "@remix-run/react";
import { startTransition, StrictMode } from "react";
import { hydrateRoot } from "react-dom/client";
import { guardSessionStorage } from "./lib/storage-guard";

// Before Remix touches sessionStorage (route discovery): inside the admin iframe a browser that
// blocks third-party storage throws on access, which would break every client-side navigation.
guardSessionStorage();

startTransition(() => {
  hydrateRoot(
    document,
    <StrictMode>
      <RemixBrowser />
    </StrictMode>,
  );
});
