-- The churn score's probability of at least one order within the analysis horizon (1 − churnRisk when a
-- combiner was trained; NULL on rules-only runs). Shown and exported instead of BG/NBD P(alive) (ADR 082).
ALTER TABLE "CustomerScore" ADD COLUMN "pBuy" DOUBLE PRECISION;
