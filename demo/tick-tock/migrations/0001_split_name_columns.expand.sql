-- Tock (expand): the new columns, nullable, so v1's inserts (name only) keep working.
ALTER TABLE users ADD COLUMN first_name TEXT;
ALTER TABLE users ADD COLUMN last_name TEXT;
