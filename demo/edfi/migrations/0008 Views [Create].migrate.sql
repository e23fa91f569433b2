-- Seed step 10: views for the new version.
create view edfi.studentview as
select s.studentusi, s.studentuniqueid, s.firstname, s.lastsurname, s.birthdate, d.codevalue as sex
from edfi.student s left join edfi.descriptor d on d.descriptorid = s.birthsexdescriptorid;
