-- The fingerprint of each fingerprinted_table dbt model's inputs when its table was last built
-- (dbt_project/macros/materializations/fingerprinted_table.sql): a model whose inputs have the stored
-- fingerprint is kept as it is. Written by dbt after the table committed, deleted in the transaction that
-- rebuilds it, so a missing row only ever means "rebuild".
create table if not exists audit.model_fingerprints (
    relation_name   text primary key,               -- schema.table of the model
    fingerprint     text not null,                  -- md5 over the model's SQL, config and inputs
    invocation_id   text,                           -- the dbt invocation that built the table
    built_at        timestamptz not null default now()
);
grant select, insert, update, delete on audit.model_fingerprints to frisk_transformer;
-- the audit schema's default privileges give the loader every new table; it has no business here
revoke all on audit.model_fingerprints from frisk_loader;
