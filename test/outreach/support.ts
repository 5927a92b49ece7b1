import type { Sql } from "../../app/db/sql";
import { parseCampaignSettings, type CampaignSettingsInput } from "../../app/domain/campaigns";

export const SHOP = "outreach-test.myshopify.com";
export const LAUNCH = new Date("2026-12-01T09:00:00Z");
export const DAY = 86_400_000;

export function settings(vip: Partial<NonNullable<CampaignSettingsInput["vip"]>> = {}) {
  return parseCampaignSettings({ vip: { conciergeName: "Ana", conciergeRole: "Customer care lead", owner: "owner@shop.test", ...vip } });
}

export async function seedShop(sql: Sql, shop = SHOP, tz = "America/New_York") {
  await sql.query(
    `INSERT INTO "Shop" (domain, name, "currencyCode", "ianaTimezone", "updatedAt") VALUES ($1, 'Maple Goods', 'USD', $2, now()) ON CONFLICT (domain) DO NOTHING`,
    [shop, tz],
  );
}

export async function seedCustomer(
  sql: Sql,
  id: string,
  c: { firstName?: string; lastName?: string; email?: string; phone?: string; totalSpent?: number; lastOrderAt?: Date } = {},
  shop = SHOP,
) {
  await sql.query(
    `INSERT INTO "Customer" (shop, id, email, "firstName", "lastName", phone, "orderCount", "totalSpent", "lastOrderAt") VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)`,
    [
      shop,
      id,
      c.email ?? `c${id}@example.com`,
      c.firstName ?? `First${id}`,
      c.lastName ?? `Last${id}`,
      c.phone ?? null,
      c.totalSpent ?? 0,
      c.lastOrderAt ?? null,
    ],
  );
}

let lineSeq = 1;
export async function seedOrder(
  sql: Sql,
  o: {
    id: string;
    customerId: string;
    processedAt: Date;
    test?: boolean;
    cancelledAt?: Date | null;
    lines?: Array<{ productId: string | null; title: string | null; type?: string | null; quantity?: number }>;
  },
  shop = SHOP,
) {
  await sql.query(
    `INSERT INTO "Order" (shop, id, "customerId", name, "processedAt", "createdAt", "updatedAt", "cancelledAt", test, "currentTotal", "totalPrice", currency)
     VALUES ($1, $2, $3, $4, $5, $5, $5, $6, $7, 50, 50, 'USD')`,
    [shop, o.id, o.customerId, `#${o.id}`, o.processedAt, o.cancelledAt ?? null, o.test ?? false],
  );
  for (const l of o.lines ?? []) {
    await sql.query(
      `INSERT INTO "OrderLine" (shop, id, "orderId", "productId", "productTitle", "productType", quantity, "unitPrice") VALUES ($1, $2, $3, $4, $5, $6, $7, 25)`,
      [shop, String(lineSeq++), o.id, l.productId, l.title, l.type ?? null, l.quantity ?? 1],
    );
  }
}

export const ago = (days: number) => new Date(LAUNCH.getTime() - days * DAY);
export const after = (days: number) => new Date(LAUNCH.getTime() + days * DAY);
