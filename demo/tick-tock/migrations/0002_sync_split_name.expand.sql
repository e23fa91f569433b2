-- Tock (expand): while v1 may write (before the swap, after a rollback or a swap back), split what it writes,
-- so v2 finds every row split ("copy missing data" between the old and the new structures). v2 writes both
-- columns itself, so the trigger leaves its rows alone. The split is the backfill's (tick-tock-expand.yaml).
CREATE TRIGGER users_split_name AFTER INSERT ON users
WHEN new.first_name IS NULL
BEGIN
  UPDATE users SET
    first_name = CASE WHEN instr(trim(new.name), ' ') > 0
      THEN substr(trim(new.name), 1, instr(trim(new.name), ' ') - 1) ELSE trim(new.name) END,
    last_name = CASE WHEN instr(trim(new.name), ' ') > 0
      THEN trim(substr(trim(new.name), instr(trim(new.name), ' ') + 1)) ELSE '' END
  WHERE id = new.id;
END;
