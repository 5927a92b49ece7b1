import { AsyncLocalStorage } from "node:async_hooks";
import { withShop, type Sql } from "./sql";

/**
 * The shop the current request acts for (docs/decisions/089-row-level-security.md). Features hold the
 * one `Sql` of the composition root, captured when they were built, so a request cannot hand them a
 * different one; instead that Sql (requestScopedSql) asks this store on every call and, inside
 * runForShop, sends the statement through sql.forShop(shop). Outside it (jobs, schedulers,
 * migrations, the webhook claim) it is the unscoped system Sql.
 */
const currentShop = new AsyncLocalStorage<string>();

/** Runs fn with every query of requestScopedSql confined to `shop` (validated by the first query). */
export function runForShop<T>(shop: string, fn: () => Promise<T>): Promise<T> {
  return currentShop.run(shop, fn);
}

/**
 * Runs fn outside any shop scope. Work that outlives the request or spans shops (the job queue's
 * send, whose in-process runner would otherwise inherit the request's scope through its timers)
 * goes through here.
 */
export function runUnscoped<T>(fn: () => T): T {
  return currentShop.exit(fn);
}

export const scopedShop = (): string | undefined => currentShop.getStore();

/** An Sql that is `sql` confined to the shop of the surrounding runForShop, or `sql` itself outside one. */
export function requestScopedSql(sql: Sql): Sql {
  const now = () => {
    const shop = currentShop.getStore();
    return shop === undefined ? sql : withShop(sql, shop);
  };
  return {
    engine: sql.engine,
    get shop() {
      return currentShop.getStore() ?? sql.shop;
    },
    query: (text, params) => now().query(text, params),
    exec: (text) => now().exec(text),
    transaction: (fn) => now().transaction(fn),
    copyFrom: (table, columns, rows) => now().copyFrom(table, columns, rows),
    forShop: (shop) => withShop(sql, shop),
  };
}

/**
 * A response body that keeps reading inside the current shop's scope. A streamed export (CSV) runs
 * its queries in its pull callbacks, which the HTTP server calls long after the loader returned and
 * outside its async context: without this the export's later pages would run unscoped.
 */
export function streamInScope<T>(stream: ReadableStream<T>): ReadableStream<T> {
  const shop = currentShop.getStore();
  if (shop === undefined) return stream;
  const reader = stream.getReader();
  return new ReadableStream<T>({
    async pull(controller) {
      const r = await currentShop.run(shop, () => reader.read());
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
