-- Seed step 8: one enrollment per student and school (checked first by E_DUPLICATE_ENROLLMENT). An extension
-- table referencing the old key makes this script fail: fix it (a custom step here), then cutover retry.
alter table edfi.studentschoolassociation add column exitwithdrawdate date;
alter table edfi.studentschoolassociation drop constraint studentschoolassociation_pkey;
alter table edfi.studentschoolassociation
  add constraint studentschoolassociation_pk primary key (studentusi, schoolid);
