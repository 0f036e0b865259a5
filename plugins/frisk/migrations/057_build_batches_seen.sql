-- The batches a build's tests could see: those loaded (status 'loaded', the ones staging keeps) when it started.
-- On the next incremental night the row-level staging tests check only the rows of batches the last published
-- build had not seen (macros/new_batches_only.sql): raw rows never change, and that build's tests passed on the
-- others.
alter table audit.builds add column if not exists batches_seen bigint[];
