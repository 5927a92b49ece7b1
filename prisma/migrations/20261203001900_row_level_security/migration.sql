-- Row-level security on every shop table (docs/decisions/089-row-level-security.md). Every table is
-- keyed by shop already; this makes a query that forgets its shop see nothing instead of every shop.
--
-- winback_shop is the role a shop-scoped transaction switches to (SET LOCAL ROLE, app/db/sql.ts
-- forShop) after setting winback.shop. Superusers never obey RLS, and the app connects as one in dev
-- and CI, hence a role switch rather than relying on the connecting user. Roles are cluster-wide: the
-- role may exist already (another database of the same server, a DBA who created it beforehand), and
-- two databases migrating at once may race to create it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'winback_shop') THEN
    BEGIN
      CREATE ROLE winback_shop NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END IF;
  -- The connecting role must be a member to SET ROLE to it (a superuser always may).
  IF NOT pg_has_role(current_user, 'winback_shop', 'MEMBER') THEN
    EXECUTE format('GRANT winback_shop TO %I', current_user);
  END IF;
END
$$;

-- Every table with a "shop" column, found here rather than listed, so none is forgotten; "Shop" is
-- keyed by "domain". The scoped role gets row privileges on these tables only: a table without a shop
-- key (Job, JobWorker, JobLease, _prisma_migrations) is refused to it outright instead of showing every
-- shop's rows. test/integration/row-level-security.test.ts fails for a future shop table without RLS.
--
-- FORCE makes the owner obey the policies too, so its full access is the named policy winback_system
-- (the role that ran this migration owns the tables: migrations, the job queue, session storage and
-- cross-shop schedulers use it) rather than an implicit exemption; a deployment that moves system
-- work to a BYPASSRLS role can drop winback_system and leave the owner shop-scoped as well.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT c.table_name, c.column_name
      FROM information_schema.columns c
      JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
     WHERE c.table_schema = current_schema()
       AND tb.table_type = 'BASE TABLE'
       AND (c.column_name = 'shop' OR (c.table_name = 'Shop' AND c.column_name = 'domain'))
     ORDER BY c.table_name
  LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO winback_shop', t.table_name);
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.table_name);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.table_name);
    EXECUTE format(
      'CREATE POLICY winback_shop_isolation ON %I USING (%2$I = current_setting(''winback.shop'', true)) WITH CHECK (%2$I = current_setting(''winback.shop'', true))',
      t.table_name, t.column_name);
    EXECUTE format('CREATE POLICY winback_system ON %I TO %I USING (true) WITH CHECK (true)', t.table_name, current_user);
  END LOOP;
END
$$;
