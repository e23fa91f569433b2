-- Seed step 6: descriptors first, so every later script can refer to them. Namespaces move from
-- http://ed-fi.org/Descriptor/X.xml to uri://ed-fi.org/X (data that is meant to change).
update edfi.descriptor
set namespace = 'uri://ed-fi.org/GradeLevelDescriptor'
where namespace = 'http://ed-fi.org/Descriptor/GradeLevelDescriptor.xml';
insert into edfi.descriptor (namespace, codevalue)
select 'uri://ed-fi.org/SexDescriptor', codevalue from migration_tempdata.sextype_descriptor order by sextypeid;
