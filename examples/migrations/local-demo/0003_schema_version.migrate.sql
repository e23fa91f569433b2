-- The demo apps read PRAGMA user_version: 2 tells v2 the migration is done.
-- In SQLite it commits with this script's transaction and journal row.
pragma user_version = 2;
