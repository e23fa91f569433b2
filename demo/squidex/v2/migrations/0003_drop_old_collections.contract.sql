-- Cleanup (seed step 7): the old collection v1 read, once v1 is gone.
drop table contents;
