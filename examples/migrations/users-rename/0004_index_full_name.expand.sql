-- cutover:no-transaction
create index concurrently if not exists users_full_name on users (full_name)
