-- The fingerprints of the fingerprinted models (audit.model_fingerprints: the invoice chain) as one text, defined
-- once: frisk.dbt_runner.publish records it in audit.builds.shared_inputs_fp, and the dbt macro
-- fingerprinted_inputs_changed() compares the published build's with it.
create or replace view audit.shared_inputs as
select string_agg(relation_name || '=' || fingerprint, ',' order by relation_name) as fp
from audit.model_fingerprints;
grant select on audit.shared_inputs to frisk_transformer;
revoke all on audit.shared_inputs from frisk_loader;
