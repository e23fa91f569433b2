-- Seed step 8: an existing table changes: the sex type becomes a descriptor. The columns the API reads
-- (and the upgrade must not change) are hashed before and after (steps hash-before / hash-after).
alter table edfi.student add column birthsexdescriptorid int references edfi.sexdescriptor (sexdescriptorid);
update edfi.student s
set birthsexdescriptorid = d.descriptorid
from migration_tempdata.sextype_descriptor t
join edfi.descriptor d on d.namespace = 'uri://ed-fi.org/SexDescriptor' and d.codevalue = t.codevalue
where t.sextypeid = s.sextypeid;
alter table edfi.student drop column sextypeid;
