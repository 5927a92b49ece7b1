-- Sequences that react (docs/decisions/101-sequences-that-react.md): which variant a touch took
-- when its step carries an ifNoClick branch: 'main' (the customer clicked an earlier message, or
-- the step's normal email) or 'no_click' (the branch's subject, or the Flow trigger instead of an
-- email). Null for steps without a branch, so the campaign page counts only steps that branch.
ALTER TABLE "CampaignTouch" ADD COLUMN "variant" TEXT;
