-- A tiny ODS before the upgrade ("v2"-style: a sex *type* table, descriptor namespaces as
-- http://.../Descriptor/X.xml), with one extension table in its own schema (sample), as field ODSs have.
-- Load it into an empty PostgreSQL database: psql "$ODS_URL" -v ON_ERROR_STOP=1 -f demo/edfi/ods-v1.sql
create schema edfi;
create table edfi.sextype (sextypeid int primary key, codevalue text not null unique);
insert into edfi.sextype values (1, 'Female'), (2, 'Male'), (3, 'Not Selected');

create table edfi.descriptor (
  descriptorid serial primary key,
  namespace text not null,
  codevalue text not null,
  unique (namespace, codevalue)
);
insert into edfi.descriptor (namespace, codevalue)
select 'http://ed-fi.org/Descriptor/GradeLevelDescriptor.xml', g
from unnest(array['Ninth grade', 'Tenth grade', 'Eleventh grade', 'Twelfth grade']) as g;

create table edfi.school (schoolid int primary key, nameofinstitution text not null);
insert into edfi.school values (255901001, 'Grand Bend High School'), (255901044, 'Grand Bend Middle School');

create table edfi.student (
  studentusi serial primary key,
  studentuniqueid text not null unique,
  firstname text not null,
  lastsurname text not null,
  birthdate date not null,
  sextypeid int references edfi.sextype (sextypeid)
);
insert into edfi.student (studentuniqueid, firstname, lastsurname, birthdate, sextypeid)
select '6040' || lpad(i::text, 4, '0'), 'Student' || i, 'Surname' || (i % 37), date '2008-01-01' + i, 1 + i % 3
from generate_series(1, 400) as i;

create table edfi.studentschoolassociation (
  studentusi int not null references edfi.student (studentusi),
  schoolid int not null references edfi.school (schoolid),
  entrydate date not null,
  entrygradeleveldescriptorid int not null references edfi.descriptor (descriptorid),
  primary key (studentusi, schoolid, entrydate)
);
insert into edfi.studentschoolassociation
select s.studentusi, case when s.studentusi % 2 = 0 then 255901001 else 255901044 end, date '2024-08-19',
  (select min(descriptorid) from edfi.descriptor) + s.studentusi % 4
from edfi.student s;

create view edfi.studentview as
select s.studentusi, s.studentuniqueid, s.firstname, s.lastsurname, s.birthdate, t.codevalue as sex
from edfi.student s left join edfi.sextype t on t.sextypeid = s.sextypeid;

-- An extension: unknown to the upgrade, it must come through untouched.
create schema sample;
create table sample.studentpet (
  studentusi int not null references edfi.student (studentusi),
  petname text not null,
  primary key (studentusi, petname)
);
insert into sample.studentpet select studentusi, 'Pet of ' || firstname from edfi.student where studentusi % 10 = 0;
