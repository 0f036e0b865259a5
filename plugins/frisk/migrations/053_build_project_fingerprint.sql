-- The dbt project a build ran (frisk.dbt_runner.project_fingerprint: a hash of its models, macros, seeds, tests
-- and dbt_project.yml). An incremental night whose project differs from the last published build's (a deploy)
-- runs as a full refresh instead: changed incremental models may have new columns or indexes, and recomputing
-- everyone incrementally costs more than a full refresh anyway.
alter table audit.builds add column if not exists project_fingerprint text;
alter table audit.builds add column if not exists full_refresh boolean;
-- The sick-leave state (intermediate.int_payroll_person_state) a published build's marts were built with: when the
-- state moved since without a publish, the incremental marts recompute every person (dbt var marts_behind_state).
alter table audit.builds add column if not exists person_state_fp text;
