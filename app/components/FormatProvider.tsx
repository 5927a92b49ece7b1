import { createContext, useContext, useMemo, type ReactNode } from "react";
import { createFormatter, type FormatContext, type Formatter } from "../lib/format";

const Ctx = createContext<Formatter | null>(null);

/**
 * Gives every page under /app the shop's formatter. The context comes from the /app layout loader,
 * so the server and the browser format with the same locale, currency and time zone.
 */
export function FormatProvider({ value, children }: { value: FormatContext; children?: ReactNode }) {
  // The loader sends a new object on every revalidation: memoise on its fields, not its identity.
  const { locale, currencyCode, timeZone } = value;
  const f = useMemo(() => createFormatter({ locale, currencyCode, timeZone }), [locale, currencyCode, timeZone]);
  return <Ctx.Provider value={f}>{children}</Ctx.Provider>;
}

export function useFormat(): Formatter {
  const f = useContext(Ctx);
  // A component outside the /app layout would silently fall back to the runtime's defaults: refuse instead.
  if (!f) throw new Error("useFormat() needs a <FormatProvider> (app/routes/app.tsx renders one)");
  return f;
}
