-- Undo of 0003: 1 tells both demo versions the v2 schema is gone.
pragma user_version = 1;
