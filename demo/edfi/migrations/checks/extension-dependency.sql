-- cutover:check E_EXTENSION_DEPENDENCY
-- cutover:message Tables outside the edfi schema reference edfi tables: the upgrade leaves them alone and custom
-- cutover:message upgrade scripts may be needed. Acknowledge with -p acknowledge=E_EXTENSION_DEPENDENCY (Ed-Fi's
-- cutover:message BypassExtensionValidationCheck).
select n.nspname as "schema", c.relname as "table", con.conname as "constraint",
  rn.nspname || '.' || r.relname as "references"
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_class r on r.oid = con.confrelid
join pg_namespace rn on rn.oid = r.relnamespace
where con.contype = 'f' and rn.nspname = 'edfi' and n.nspname not in ('edfi', 'migration_tempdata')
order by 1, 2, 3
