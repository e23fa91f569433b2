-- Seed step 12: the temporary data goes. (cutover keeps the preservation hashes in its own schema, not in
-- the temporary data, so dropping it before the final comparison loses nothing.)
drop schema migration_tempdata cascade;
