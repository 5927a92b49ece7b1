-- docs/decisions/085-email-throughput.md: every email checks the suppression list by address,
-- case-insensitively (lower(email) = lower($1)); the (shop, email) index cannot serve that, so a
-- 400k-email launch would scan the shop's suppressions once per email. An expression index is not
-- expressible in schema.prisma, so it lives here only.
CREATE INDEX "EmailSuppression_shop_lower_email_idx" ON "EmailSuppression"("shop", lower("email"));
