/**
 * Document navigation inside the admin iframe. Remix discovers routes lazily on client navigation
 * and writes sessionStorage while doing so; in an iframe with blocked third-party storage that
 * throws ("Access is denied for this document") and the navigation dies. A document load keeps the
 * embedded query (shop, host); a stale id_token is renewed by the session-token bounce.
 */
export function documentNavigate(path: string): void {
  window.location.assign(`${path}${window.location.search}`);
}
