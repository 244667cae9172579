-- Once, for a cluster migrated by the earlier rummelig-provision Job (as the superuser): give every table, view,
-- sequence and function in the public schema that postgres owns to the role named after the database, so that the
-- service can use them and its migration Job can migrate them. Run it as the superuser on the primary, per database:
--   kubectl -n rummelig exec -i "$(kubectl -n rummelig get pod -o name \
--     -l cnpg.io/cluster=rummelig-pg,cnpg.io/instanceRole=primary)" -c postgres -- psql -d intake < owners.sql
-- (and -d enrolment, followup, reporting). Idempotent: what the role owns already is left alone.
DO $$
DECLARE
  statement text;
BEGIN
  FOR statement IN
    SELECT format('ALTER TABLE public.%I OWNER TO %I', c.relname, current_database())
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relowner = 'postgres'::regrole AND (c.relkind IN ('r', 'p', 'v', 'm')
      OR c.relkind = 'S' AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
    UNION ALL
    SELECT format('ALTER FUNCTION public.%I(%s) OWNER TO %I', p.proname, pg_get_function_identity_arguments(p.oid),
                  current_database())
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.proowner = 'postgres'::regrole
  LOOP
    EXECUTE statement;
  END LOOP;
END $$;
