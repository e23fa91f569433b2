-- ... and keep both columns in step while v1 and v2 both write (v1 writes `name`,
-- v2 writes `full_name`). The contract script drops this trigger.
create or replace function users_sync_full_name() returns trigger language plpgsql as $$
begin
  if new.full_name is null then
    new.full_name := new.name;
  elsif new.name is null or (tg_op = 'UPDATE' and new.full_name is distinct from old.full_name) then
    new.name := new.full_name;
  end if;
  return new;
end;
$$;
create trigger users_sync_full_name before insert or update on users
  for each row execute function users_sync_full_name();
