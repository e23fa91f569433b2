-- cutover:check E_DUPLICATE_ENROLLMENT
-- cutover:message These students are enrolled more than once in the same school; the new version allows one
-- cutover:message enrollment per student and school (primary key StudentUSI, SchoolId). Delete or merge the extra rows.
select studentusi, schoolid, count(*) as enrollments
from edfi.studentschoolassociation
group by studentusi, schoolid
having count(*) > 1
order by 1, 2
