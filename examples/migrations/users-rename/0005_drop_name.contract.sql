-- Later, once v1 is retired: drop the old column and the sync trigger.
drop trigger if exists users_sync_full_name on users;
drop function if exists users_sync_full_name();
alter table users drop column name;
