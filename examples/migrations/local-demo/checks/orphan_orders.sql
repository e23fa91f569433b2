-- cutover:check E_ORPHAN_ORDER
-- cutover:message These orders name a seat type that does not exist; fix or delete them so seats_remaining adds up.
select o.id, o.seat_type from orders o left join seat_types s on s.id = o.seat_type where s.id is null
