-- Seed step 7: a table new to this version, filled from existing data.
create table edfi.sexdescriptor (sexdescriptorid int primary key references edfi.descriptor (descriptorid));
insert into edfi.sexdescriptor
select descriptorid from edfi.descriptor where namespace = 'uri://ed-fi.org/SexDescriptor';
