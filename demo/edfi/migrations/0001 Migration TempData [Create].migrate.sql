-- Seed step 2: temporary data the upgrade uses (the old sex types, to map them to descriptors).
create schema migration_tempdata;
create table migration_tempdata.sextype_descriptor (sextypeid int primary key, codevalue text not null);
insert into migration_tempdata.sextype_descriptor select sextypeid, codevalue from edfi.sextype;
