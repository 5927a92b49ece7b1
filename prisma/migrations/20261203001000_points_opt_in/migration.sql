-- Points become opt-in (ADR 079): a shop's points program is off until the merchant turns it on
-- (Shop.settings.points.program, parsed by app/points/settings.ts; absent means off).
--
-- Shops whose customers already see points (storefront values written to Shopify, or expiry
-- reminders sent) keep the program on, earning as before (past orders included): turning it off
-- here would make balances vanish from their storefront without the merchant deciding it. Every
-- other shop, and every new install, starts with points off. No table changes.
UPDATE "Shop" s
   SET settings = jsonb_set(
         coalesce(s.settings, '{}'::jsonb),
         '{points}',
         coalesce(s.settings -> 'points', '{}'::jsonb)
           || jsonb_build_object('program', jsonb_build_object(
                'enabled', true,
                'earnFrom', NULL,
                'changedAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))),
         true)
 WHERE (s.settings -> 'points' -> 'program') IS NULL
   AND (EXISTS (SELECT 1 FROM "PointsLedger" p WHERE p.shop = s.domain AND p."syncedAt" IS NOT NULL)
        OR EXISTS (SELECT 1 FROM "PointsNudge" n WHERE n.shop = s.domain));
