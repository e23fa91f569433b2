-- cutover:check E_NAME_TOO_LONG
-- cutover:message full_name is varchar(200): shorten these users' names (or widen the column in 0002) before releasing v2.
select id, length(name) as length from users where length(name) > 200
