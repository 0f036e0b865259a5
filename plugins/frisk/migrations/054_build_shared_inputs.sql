-- The fingerprints of the fingerprinted models (audit.model_fingerprints: the invoice chain) when a build was
-- published. fct_interventions continues from the published table and recomputes only the persons whose sick
-- leave changed, unless these differ from the ones now (the invoice chain was rebuilt since): then everyone.
alter table audit.builds add column if not exists shared_inputs_fp text;
