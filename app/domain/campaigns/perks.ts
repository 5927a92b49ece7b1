import { AppError } from "../../lib/errors";

export interface PurchaseLine {
  productId: string;
  productTitle: string;
  productType: string | null;
  vendor: string | null;
  quantity: number;
  orderId: string;
  date: Date;
}

export type PerkKind = "restock_hold" | "early_access" | "bundle" | "concierge_call" | "override";

export interface PerkSuggestion {
  kind: PerkKind;
  text: string;
  /** products the perk is about, for the CS agent's screen */
  productIds: string[];
  /** why: number of distinct orders behind the signal */
  orders: number;
}

interface ProductStat {
  productId: string;
  title: string;
  orders: Set<string>;
  last: number;
}

/**
 * Perks come from the customer's own history and are never a plain discount: a VIP who lapsed is
 * won back by being recognised, and discounting top-decile customers trains them to wait for codes.
 * Ranked by how specific the signal is: a rebuy names one product, a bundle two, a favourite type a
 * category, the concierge call nothing.
 */
export function suggestPerks(lines: readonly PurchaseLine[]): PerkSuggestion[] {
  for (const l of lines) {
    if (!l.productId || !l.orderId) throw new AppError("INVALID_INPUT", "purchase lines need productId and orderId");
  }
  const products = new Map<string, ProductStat>();
  const orderProducts = new Map<string, Set<string>>();
  const typeOrders = new Map<string, { type: string; orders: Set<string>; quantity: number }>();
  for (const l of lines) {
    if (!(l.quantity > 0)) continue;
    const p = products.get(l.productId) ?? { productId: l.productId, title: l.productTitle, orders: new Set(), last: 0 };
    p.orders.add(l.orderId);
    // The latest title wins: products get renamed, and the agent should say today's name.
    if (l.date.getTime() >= p.last) {
      p.last = l.date.getTime();
      p.title = l.productTitle;
    }
    products.set(l.productId, p);
    const inOrder = orderProducts.get(l.orderId) ?? new Set();
    inOrder.add(l.productId);
    orderProducts.set(l.orderId, inOrder);
    const type = l.productType?.trim();
    if (type) {
      const key = type.toLowerCase();
      const t = typeOrders.get(key) ?? { type, orders: new Set(), quantity: 0 };
      t.orders.add(l.orderId);
      t.quantity += l.quantity;
      typeOrders.set(key, t);
    }
  }
  const out: PerkSuggestion[] = [];

  const rebuys = [...products.values()]
    .filter((p) => p.orders.size >= 2)
    .sort((a, b) => b.orders.size - a.orders.size || b.last - a.last || a.productId.localeCompare(b.productId));
  for (const p of rebuys)
    out.push({ kind: "restock_hold", text: `Restock hold for ${p.title}`, productIds: [p.productId], orders: p.orders.size });

  const pairs = new Map<string, { a: string; b: string; orders: number }>();
  for (const ids of orderProducts.values()) {
    const sorted = [...ids].sort();
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const key = `${sorted[i]}\u0000${sorted[j]}`;
        const e = pairs.get(key) ?? { a: sorted[i], b: sorted[j], orders: 0 };
        e.orders++;
        pairs.set(key, e);
      }
    }
  }
  const bundles = [...pairs.values()]
    .filter((p) => p.orders >= 2)
    .sort((x, y) => y.orders - x.orders || x.a.localeCompare(y.a) || x.b.localeCompare(y.b));
  for (const p of bundles) {
    out.push({
      kind: "bundle",
      text: `Bundle of ${products.get(p.a)!.title} + ${products.get(p.b)!.title}`,
      productIds: [p.a, p.b],
      orders: p.orders,
    });
  }

  // A type bought in a single order is not a "favourite", just a purchase.
  const types = [...typeOrders.values()]
    .filter((t) => t.orders.size >= 2)
    .sort((a, b) => b.orders.size - a.orders.size || b.quantity - a.quantity || a.type.localeCompare(b.type));
  if (types.length) {
    const t = types[0];
    out.push({ kind: "early_access", text: `Early access to new ${t.type}`, productIds: [], orders: t.orders.size });
  }

  out.push({ kind: "concierge_call", text: "Personal styling/concierge call", productIds: [], orders: 0 });
  return out;
}

/** The perk for one VIP: the merchant's override if set, else the best suggestion from history. */
export function suggestPerk(lines: readonly PurchaseLine[], perkOverride?: string | null): PerkSuggestion {
  if (perkOverride && perkOverride.trim()) return { kind: "override", text: perkOverride.trim(), productIds: [], orders: 0 };
  return suggestPerks(lines)[0];
}

export interface CheckInScriptInput {
  conciergeName: string;
  conciergeRole?: string;
  customerFirstName?: string | null;
  shopName?: string;
  perk: Pick<PerkSuggestion, "text">;
}

/** Opening lines for the CS agent's email or call; plain text, the email layer escapes it. */
export function checkInScript(input: CheckInScriptInput): string {
  const first = input.customerFirstName?.trim();
  const who = input.conciergeName.trim() || "your personal concierge";
  const role = input.conciergeRole?.trim();
  const at = input.shopName?.trim() ? ` at ${input.shopName.trim()}` : "";
  const perk = input.perk.text.charAt(0).toLowerCase() + input.perk.text.slice(1);
  return [
    `Hi ${first || "there"},`,
    "",
    `This is ${who}${role ? `, ${role}` : ""}${at}. It has been a while, and I wanted to check in personally.`,
    `As one of our most valued customers, I have set aside something just for you: ${perk}.`,
    "Is there anything we could have done better, or anything you are looking for right now? Just reply to this message and it comes straight to me.",
    "",
    `Warmly,`,
    who,
  ].join("\n");
}
