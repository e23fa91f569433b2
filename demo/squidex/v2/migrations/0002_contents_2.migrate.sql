-- Schema 2: contents rebuilt into a new collection (Squidex's "Contents2"), the old one left for v1.
create table contents_2 (
  id bigint primary key,
  data jsonb not null,
  revision int not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
insert into contents_2 (id, data, created_at, updated_at) select id, data, created_at, created_at from contents;
create sequence contents_2_id_seq owned by contents_2.id;
select setval('contents_2_id_seq', (select coalesce(max(id), 0) + 1 from contents_2), false);
alter table contents_2 alter column id set default nextval('contents_2_id_seq');
update squidex_migration set version = 2 where id = 1;
