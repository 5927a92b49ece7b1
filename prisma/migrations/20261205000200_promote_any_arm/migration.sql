-- Promoting any experiment winner into the always-on program (docs/decisions/104-promote-any-arm.md).
-- No new table: the program's offers and each member's offer live on the campaign tables the
-- campaigns feature owns, so the existing row-level security of "Campaign" and "CampaignMember"
-- covers them.

-- A program's offers after its first: each promotion into a program whose code exists adds one
-- (its own code, tag and segment, created in Shopify before new members get it); entry 1 is the
-- program's own offer when a promotion replaced it before its code existed. Empty for campaigns.
ALTER TABLE "Campaign" ADD COLUMN "offerVersions" JSONB NOT NULL DEFAULT '[]'::jsonb;

-- The program offer a member joined with (its code, subject and end date stay theirs); null: the
-- program's own offer (and always null for one-off campaigns).
ALTER TABLE "CampaignMember" ADD COLUMN "offerVersion" INTEGER;
