-- Seed step 9: the old table, no longer needed (its values live on as descriptors).
drop table edfi.sextype;
