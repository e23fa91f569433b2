-- Undo of 0002: the read model is derived from the orders; a later apply rebuilds it.
drop table seats_remaining;
