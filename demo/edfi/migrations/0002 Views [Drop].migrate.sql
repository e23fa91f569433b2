-- Seed step 5: views that read what the upgrade changes go first (recreated by 0008).
drop view edfi.studentview;
