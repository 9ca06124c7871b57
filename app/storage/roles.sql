-- The service's database roles. Applied by `python -m app roles` with the master user's
-- DATABASE_URL (break-glass), once per database and again after any change here; every
-- statement is idempotent.
--
--   chat_migrate  owns the schema: runs `python -m app migrate` (CREATE, ALTER, DROP)
--   chat_app      the running service: SELECT, INSERT, UPDATE, DELETE on the tables,
--                 the sequences it inserts through, nothing else (no DDL, no TRUNCATE)
--
-- Both log in with RDS IAM authentication (granted rds_iam where the role exists, that
-- is on RDS); neither has a password. The master secret stays for break-glass only.
DO $roles$
DECLARE
  obj record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chat_migrate') THEN
    CREATE ROLE chat_migrate LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'chat_app') THEN
    CREATE ROLE chat_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
  -- a connection limit keeps a leaked token from exhausting the server's slots
  ALTER ROLE chat_app CONNECTION LIMIT 400;
  ALTER ROLE chat_migrate CONNECTION LIMIT 5;
  -- the master must be able to act as chat_migrate to hand it objects and set its default
  -- privileges (PostgreSQL 16 no longer makes a role's creator a member)
  EXECUTE format('GRANT chat_migrate TO %I', current_user);
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam') THEN
    GRANT rds_iam TO chat_app, chat_migrate;
  END IF;

  EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO chat_app', current_database());
  -- CREATE on the database: the v2 migration creates the (trusted) unaccent extension
  EXECUTE format('GRANT CONNECT, CREATE ON DATABASE %I TO chat_migrate', current_database());

  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  GRANT USAGE, CREATE ON SCHEMA public TO chat_migrate;
  GRANT USAGE ON SCHEMA public TO chat_app;

  -- a database migrated before the roles existed: its objects move to chat_migrate
  FOR obj IN
    SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
      AND pg_get_userbyid(c.relowner) <> 'chat_migrate'
  LOOP
    EXECUTE format('ALTER TABLE public.%I OWNER TO chat_migrate', obj.relname);
  END LOOP;
  FOR obj IN
    SELECT p.oid::regprocedure AS signature FROM pg_proc p
    JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> 'chat_migrate'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO chat_migrate', obj.signature);
  END LOOP;

  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO chat_app;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO chat_app;
  ALTER DEFAULT PRIVILEGES FOR ROLE chat_migrate IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO chat_app;
  ALTER DEFAULT PRIVILEGES FOR ROLE chat_migrate IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO chat_app;
END
$roles$;
