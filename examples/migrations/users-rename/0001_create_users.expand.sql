-- The starting point: release v1's table (already there on a live database).
create table if not exists users (
  id bigint primary key,
  name text not null,
  email text
);
