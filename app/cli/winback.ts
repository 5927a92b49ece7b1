import { createReadStream, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { AppError, isAppError } from "../lib/errors";
import { customerScoreColumns, csvRecord } from "../lib/csv";
import {
  analyze,
  assertTimeZone,
  DEFAULT_SETTINGS,
  dayFromIso,
  HistoryAccumulator,
  SignalsBuilder,
  localDay,
  type AnalysisResult,
  type TimeUnit,
} from "../domain/analytics/index";

const USAGE = `usage: winback analyze --input FILE [--format shopify-jsonl|transactions-csv] [--as-of YYYY-MM-DD]
       [--timezone IANA] [--time-unit day|week] [--horizon-days N] [--json] [--customers-out FILE]
  --horizon-days N  churn_risk = 1 − P(at least one order within N days after --as-of); the combiner is
                    trained for N days inside the history (default ${DEFAULT_SETTINGS.prediction.horizonDays})`;

interface Args {
  input: string;
  format?: string;
  asOf?: string;
  timezone: string;
  timeUnit: TimeUnit;
  horizonDays: number;
  json: boolean;
  customersOut?: string;
}

function parseArgs(argv: string[]): Args {
  if (argv[0] !== "analyze") throw new AppError("INVALID_INPUT", USAGE);
  const a: Partial<Args> = { timezone: "UTC", timeUnit: "week", horizonDays: DEFAULT_SETTINGS.prediction.horizonDays, json: false };
  for (let i = 1; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new AppError("INVALID_INPUT", `${k} needs a value\n${USAGE}`);
      return v;
    };
    if (k === "--input") a.input = val();
    else if (k === "--format") a.format = val();
    else if (k === "--as-of") a.asOf = val();
    else if (k === "--timezone") a.timezone = val();
    else if (k === "--time-unit") {
      const u = val();
      if (u !== "day" && u !== "week") throw new AppError("INVALID_INPUT", "--time-unit must be day or week");
      a.timeUnit = u;
    } else if (k === "--horizon-days") {
      const v = val();
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 3650)
        throw new AppError("INVALID_INPUT", "--horizon-days must be a whole number of days from 1 to 3650");
      a.horizonDays = Number(v);
    } else if (k === "--json") a.json = true;
    else if (k === "--customers-out") a.customersOut = val();
    else throw new AppError("INVALID_INPUT", `unknown option ${k}\n${USAGE}`);
  }
  if (!a.input) throw new AppError("INVALID_INPUT", `--input is required\n${USAGE}`);
  if (a.format && a.format !== "shopify-jsonl" && a.format !== "transactions-csv")
    throw new AppError("INVALID_INPUT", `unknown format ${a.format}`);
  if (a.asOf) dayFromIso(a.asOf);
  assertTimeZone(a.timezone!);
  return a as Args;
}

async function detectFormat(path: string): Promise<string> {
  const fh = await open(path, "r").catch((e) => {
    throw new AppError("INVALID_INPUT", `cannot open ${path}: ${e.code ?? e.message}`);
  });
  const buf = Buffer.alloc(4096);
  const { bytesRead } = await fh.read(buf, 0, 4096, 0);
  await fh.close();
  const head = buf.subarray(0, bytesRead).toString("utf8").trimStart();
  return head.startsWith("{") ? "shopify-jsonl" : "transactions-csv";
}

let warnings = 0;
function warn(msg: string) {
  if (warnings++ < 20) process.stderr.write(`warning: ${msg}\n`);
  else if (warnings === 21) process.stderr.write("warning: further malformed lines suppressed\n");
}

async function load(
  args: Args,
  format: string,
): Promise<{ acc: HistoryAccumulator; signals: SignalsBuilder; lastDay: number; valid: number }> {
  const acc = new HistoryAccumulator(args.timezone);
  // Discount use and refunds from a Shopify export, as the app reads them from its synced orders (ADR 110).
  const signals = new SignalsBuilder(args.timezone);
  const rl = createInterface({ input: createReadStream(args.input), crlfDelay: Infinity });
  let lineNo = 0,
    valid = 0,
    lastDay = -Infinity;
  const started = Date.now();
  const add = (customer: string | null, day: number, value: number) => {
    acc.addDay(customer, day, value);
    valid++;
    if (day > lastDay) lastDay = day;
  };
  for await (const line of rl) {
    lineNo++;
    if (lineNo % 500_000 === 0)
      process.stderr.write(`… ${lineNo.toLocaleString("en-US")} lines (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
    if (!line.trim()) continue;
    try {
      if (format === "transactions-csv") {
        if (lineNo === 1 && /customer_id/i.test(line)) continue;
        const [c, d, amt, ...rest] = line.split(",");
        const v = Number(amt);
        if (rest.length || !c || !d || amt === undefined || amt.trim() === "" || !Number.isFinite(v))
          throw new Error("expected customer_id,date,amount");
        add(c.trim(), localDay(d.trim(), args.timezone), v);
      } else {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each field is checked before use below
        const o = JSON.parse(line) as Record<string, any>;
        if (typeof o !== "object" || o === null || typeof o.id !== "string") throw new Error("expected a JSON object with an id");
        if (o.__parentId !== undefined || !o.id.includes("/Order/")) continue; // line items, customers: not needed here
        if (o.test === true || o.cancelledAt) continue;
        const money = o.currentTotalPriceSet?.shopMoney?.amount ?? o.totalPriceSet?.shopMoney?.amount;
        const v = Number(money);
        if (money === undefined || !Number.isFinite(v)) throw new Error("order without currentTotalPriceSet.shopMoney.amount");
        const when = o.processedAt ?? o.createdAt;
        if (typeof when !== "string") throw new Error("order without processedAt");
        const customer = typeof o.customer?.id === "string" ? o.customer.id : null;
        const day = localDay(when, args.timezone);
        add(customer, day, v);
        if (customer !== null && Array.isArray(o.discountCodes) && o.discountCodes.length) signals.addDay(customer, "discount", day);
        const status = typeof o.displayFinancialStatus === "string" ? o.displayFinancialStatus.toUpperCase() : "";
        if (customer !== null && (status === "REFUNDED" || status === "PARTIALLY_REFUNDED")) signals.addDay(customer, "refund", day);
      }
    } catch (e) {
      warn(`${args.input}:${lineNo}: skipped malformed ${format === "transactions-csv" ? "row" : "line"}: ${(e as Error).message}`);
    }
  }
  if (valid === 0) throw new AppError("INVALID_INPUT", `${args.input}: no valid orders found (${lineNo} lines read)`);
  return { acc, signals, lastDay, valid };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? "n/a" : Number(x.toPrecision(d)).toString());

function report(r: AnalysisResult): string {
  const c = r.classes;
  const hn = r.historicalNorm;
  const lines = [
    `Winback analysis as of ${r.asOf}`,
    `Customers ${r.customers} (repeat ${r.repeatCustomers}); shop orders ${r.shop.orders} incl. ${r.shop.guestOrders} guest; revenue ${r.shop.revenue.toFixed(2)}`,
    "",
    "Risk summary",
    `  active     ${c.active.count} (${pct(c.active.share)})`,
    `  at_risk    ${c.at_risk.count} (${pct(c.at_risk.share)})   90-119 days silent`,
    `  high_risk  ${c.high_risk.count} (${pct(c.high_risk.share)})   120-364 days silent`,
    `  lost       ${c.lost.count} (${pct(c.lost.share)})   365+ days silent`,
    `  overdue    ${r.overdue}   (silent > 2x own median gap)`,
    `  silent 90+ days: ${hn.silent90Share === null ? "n/a" : pct(hn.silent90Share)} now vs ${hn.silent90SharePriorYear === null ? "n/a" : pct(hn.silent90SharePriorYear)} a year earlier`,
    `  orders per customer, last 12 months ${num(hn.ordersPerCustomerLast12m)} vs prior 12 months ${num(hn.ordersPerCustomerPrior12m)}`,
    "",
    `Branches: VIP ${r.targets.vip} (threshold ${num(r.vipThreshold, 6)}), Standard ${r.targets.standard}`,
    "",
    "Win-back plan",
    "  Segment  | Silence signal             | Action                       | Channel        | Timing",
    "  ---------|----------------------------|------------------------------|----------------|---------------------",
    "  VIP      | at_risk / overdue          | personal note, early access  | email + SMS    | now, reminder +7d",
    "  VIP      | high_risk                  | exclusive offer              | email          | now, follow-up +14d",
    "  Standard | at_risk / overdue          | reminder with bestsellers    | email          | now",
    "  Standard | high_risk                  | discount incentive           | email          | now, last call +10d",
    "",
  ];
  if (r.model) {
    const b = r.model.bgnbd,
      g = r.model.gammaGamma;
    lines.push(
      `Model fit (time unit ${r.model.timeUnit})`,
      `  BG/NBD r=${num(b.r, 4)} alpha=${num(b.alpha, 4)} a=${num(b.a, 4)} b=${num(b.b, 4)} LL=${b.logLikelihood.toFixed(1)} (${b.customers} customers, ${b.groups} groups)`,
      g
        ? `  Gamma-Gamma p=${num(g.p, 4)} q=${num(g.q, 4)} v=${num(g.v, 4)} (${g.customers} repeat customers)`
        : `  Gamma-Gamma: ${r.modelMessage}`,
    );
    const ch = r.model.churn;
    if (ch) {
      lines.push(
        `  Churn score: P(order within ${ch.horizonDays} days), mean ${num(meanPBuy(r))}; trained on ${ch.trainedDays} days to ${r.asOf} from ${ch.cut}` +
          (ch.trainedDays < ch.horizonDays ? " (history too short for the full horizon: BG/NBD carries the rest)" : ""),
      );
      lines.push(
        `  Reliability (inner split, out of fold): ${ch.reliability.map((b) => `${num(b.predicted, 2)}→${num(b.observed, 2)}`).join(" ")}`,
      );
    } else lines.push("  Churn score: rules only (no combiner could be trained inside the history)");
  } else lines.push(`Model: not fitted — ${r.modelMessage}`);
  return lines.join("\n");
}

function meanPBuy(r: AnalysisResult): number | null {
  let s = 0,
    n = 0;
  for (const c of r.rows)
    if (c.pBuy !== null) {
      s += c.pBuy;
      n++;
    }
  return n ? s / n : null;
}

function json(r: AnalysisResult) {
  const m = r.model;
  return {
    asOf: r.asOf,
    customers: r.customers,
    repeatCustomers: r.repeatCustomers,
    vipThreshold: r.vipThreshold,
    classes: {
      active: r.classes.active.count,
      at_risk: r.classes.at_risk.count,
      high_risk: r.classes.high_risk.count,
      lost: r.classes.lost.count,
    },
    overdue: r.overdue,
    vip: r.vip,
    targets: { vip: r.targets.vip, standard: r.targets.standard },
    historicalNorm: r.historicalNorm,
    shop: r.shop,
    model: m
      ? {
          timeUnit: m.timeUnit,
          bgnbd: { r: m.bgnbd.r, alpha: m.bgnbd.alpha, a: m.bgnbd.a, b: m.bgnbd.b, logLikelihood: m.bgnbd.logLikelihood },
          gammaGamma: m.gammaGamma ? { p: m.gammaGamma.p, q: m.gammaGamma.q, v: m.gammaGamma.v } : null,
          churn: m.churn
            ? {
                horizonDays: m.churn.horizonDays,
                trainedDays: m.churn.trainedDays,
                cut: m.churn.cut,
                trainingCustomers: m.churn.trainingCustomers,
                reliability: m.churn.reliability,
                signals: m.churn.signals,
              }
            : null,
        }
      : null,
    meanPBuy: meanPBuy(r),
    modelMessage: r.modelMessage,
  };
}

function writeCustomers(path: string, r: AnalysisResult, horizonDays: number) {
  const out = [customerScoreColumns(horizonDays).join(",")];
  for (const c of r.rows) {
    out.push(
      csvRecord([
        c.customerId,
        c.orders,
        c.totalSpent,
        c.aov,
        c.firstOrderDate,
        c.lastOrderDate,
        c.purchaseDays,
        c.daysSinceLastOrder,
        c.medianGapDays,
        c.lapseClass,
        c.overdue,
        c.vip,
        c.target,
        c.branch,
        c.pBuy,
        c.expectedPurchases90d,
        c.expectedOrderValue,
        c.predicted12mValue,
        c.expectedNextOrderDate,
        c.churnRisk,
      ]),
    );
  }
  writeFileSync(path, out.join("\n") + "\n");
}

export async function main(argv: string[]): Promise<number> {
  try {
    const args = parseArgs(argv);
    const format = args.format ?? (await detectFormat(args.input));
    const { acc, signals, lastDay } = await load(args, format);
    // default as-of = latest order date (inclusive), the convention that reproduces the CDNOW calibration
    const asOf = args.asOf ? dayFromIso(args.asOf) : lastDay;
    const h = acc.build();
    const result = analyze(h, {
      asOf,
      timeUnit: args.timeUnit,
      settings: { prediction: { horizonDays: args.horizonDays } },
      signals: signals.size ? signals.build(h.customerIds) : undefined,
    });
    if (args.customersOut) writeCustomers(args.customersOut, result, args.horizonDays);
    process.stdout.write(args.json ? JSON.stringify(json(result)) + "\n" : report(result) + "\n");
    return 0;
  } catch (e) {
    process.stderr.write(`winback: ${isAppError(e) ? e.message : ((e as Error).message ?? String(e))}\n`);
    return isAppError(e, "INVALID_INPUT") ? 2 : 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
