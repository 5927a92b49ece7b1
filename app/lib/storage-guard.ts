/**
 * Browsers that block third-party storage throw on any `sessionStorage` access inside the admin
 * iframe. Remix's lazy route discovery touches sessionStorage after every manifest fetch, so a
 * client-side navigation (opening a task) would end in "Application Error". An in-memory stand-in
 * keeps navigation working; nothing the app needs survives a reload anyway.
 * Installed by an inline script in app/root.tsx, before anything else on the page runs.
 */
export function guardSessionStorage(): void {
  if (typeof window === "undefined") return;
  try {
    void window.sessionStorage.length;
    return;
  } catch {
    /* blocked: install the stand-in below */
  }
  const data = new Map<string, string>();
  const memory: Storage = {
    get length() {
      return data.size;
    },
    clear: () => data.clear(),
    getItem: (k) => data.get(String(k)) ?? null,
    key: (i) => [...data.keys()][i] ?? null,
    removeItem: (k) => void data.delete(String(k)),
    setItem: (k, v) => void data.set(String(k), String(v)),
  };
  try {
    Object.defineProperty(window, "sessionStorage", { value: memory, configurable: true });
  } catch {
    /* non-configurable in this browser: nothing more we can do */
  }
}
