-- Demo v2 (CQRS Journey V2): orders get a status. A constant default does not
-- rewrite the table, and v1 ignores the column.
alter table orders add column status text not null default 'confirmed';
