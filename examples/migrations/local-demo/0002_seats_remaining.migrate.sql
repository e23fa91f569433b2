-- The "remaining seats" read model v2 serves, built from the orders so far.
create table seats_remaining (
  seat_type text primary key references seat_types(id),
  remaining integer not null
);
insert into seats_remaining (seat_type, remaining)
  select s.id, s.quota - coalesce((select sum(o.quantity) from orders o where o.seat_type = s.id), 0)
  from seat_types s;
