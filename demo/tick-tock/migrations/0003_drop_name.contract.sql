-- Tick (contract), in a later run once v1 is retired: nothing reads or writes `name` any more.
DROP TRIGGER IF EXISTS users_split_name;
ALTER TABLE users DROP COLUMN name;
