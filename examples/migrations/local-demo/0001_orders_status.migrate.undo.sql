-- Undo of 0001: v1 never wrote the column; dropping it loses only the
-- statuses v2 set, and v1 (live again after an abort) does not read them.
alter table orders drop column status;
