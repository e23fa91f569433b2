-- Schema 1: the version document (Squidex's Migration collection, one row) and the contents collection.
create table squidex_migration (id int primary key check (id = 1), version int not null);
insert into squidex_migration (id, version) values (1, 1);
create table contents (
  id bigserial primary key,
  data jsonb not null,
  created_at timestamptz not null default now()
);
