-- CQRS Journey V2's new event store, filled from V1's orders (the "MigrationToV2" program).
create table order_events (
  seq integer primary key autoincrement,
  order_id text not null,
  type text not null,
  payload text not null
);
insert into order_events (order_id, type, payload)
  select id, 'OrderPlaced', json_object('id', id, 'seatType', seat_type, 'quantity', quantity, 'attendee', attendee)
  from orders order by created_at;
pragma user_version = 2;
