-- Roles and the security of the marts (issue: BI access and privacy). Idempotent: roles are cluster-wide and
-- may already exist (another database on the same server, an earlier run).
do $$
begin
    if not exists (select from pg_roles where rolname = 'frisk_loader') then
        create role frisk_loader nologin;         -- ingest: writes raw, quarantine, audit
    end if;
    if not exists (select from pg_roles where rolname = 'frisk_transformer') then
        create role frisk_transformer nologin;    -- dbt: reads raw/audit, owns staging, intermediate, marts, meta seeds
    end if;
    if not exists (select from pg_roles where rolname = 'frisk_bi') then
        create role frisk_bi nologin;             -- BI tools: aggregate marts only, rows of the bound employers
    end if;
    if not exists (select from pg_roles where rolname = 'frisk_hr') then
        create role frisk_hr nologin;             -- HR: person-level marts too (pseudonymised), bound employers only
    end if;
end
$$;

-- Who may see which employer: a BI or HR login is bound to employers, or to a collaboration group (which then
-- sees the regional aggregates of every member). A login without a binding sees no rows.
create table if not exists meta.access_scopes (
    login               name not null,
    employer_org_number text,
    collaboration_group text,
    check (num_nonnulls(employer_org_number, collaboration_group) = 1)
);
create unique index if not exists access_scopes_unique
    on meta.access_scopes (login, coalesce(employer_org_number, ''), coalesce(collaboration_group, ''));

-- Employers of a collaboration group, for scopes bound to a group. Filled from the employers seed by
-- meta.apply_mart_security() (the seed lives in meta.employers once dbt has run).
create table if not exists meta.group_members (
    collaboration_group text not null,
    employer_org_number text not null,
    primary key (collaboration_group, employer_org_number)
);

-- The employers the current login may see.
create or replace function meta.visible_employers() returns setof text
language sql stable security definer set search_path = meta, pg_temp as $$
    select employer_org_number from meta.access_scopes
     where login = session_user and employer_org_number is not null
    union
    select m.employer_org_number from meta.access_scopes s
      join meta.group_members m using (collaboration_group)
     where s.login = session_user
$$;

create or replace function meta.visible_groups() returns setof text
language sql stable security definer set search_path = meta, pg_temp as $$
    select collaboration_group from meta.access_scopes
     where login = session_user and collaboration_group is not null
$$;

-- Apply grants and row-level security to every table in `schema_name` (the published marts). Called after each
-- publish, because the warehouse build creates the tables anew:
--   * frisk_hr reads every mart; frisk_bi only marts without a person_key column (aggregates);
--   * tables with employer_org_number get a policy: rows of the login's visible employers;
--   * tables with collaboration_group but no employer_org_number: rows of the login's groups.
create or replace function meta.apply_mart_security(schema_name text default 'marts') returns integer
language plpgsql as $$
declare
    t record;
    n integer := 0;
    has_person boolean;
    has_employer boolean;
    has_group boolean;
begin
    if to_regclass('meta.employers') is not null then
        execute $q$
            insert into meta.group_members (collaboration_group, employer_org_number)
            select distinct collaboration_group, employer_org_number::text from meta.employers
             where collaboration_group is not null
            on conflict do nothing $q$;
    end if;
    execute format('grant usage on schema %I to frisk_bi, frisk_hr', schema_name);
    grant usage on schema meta to frisk_bi, frisk_hr;
    grant execute on function meta.visible_employers(), meta.visible_groups() to frisk_bi, frisk_hr;
    for t in select c.relname from pg_class c join pg_namespace s on s.oid = c.relnamespace
              where s.nspname = schema_name and c.relkind in ('r', 'p', 'v', 'm')
    loop
        select bool_or(attname = 'person_key'), bool_or(attname = 'employer_org_number'),
               bool_or(attname = 'collaboration_group')
          into has_person, has_employer, has_group
          from pg_attribute
         where attrelid = format('%I.%I', schema_name, t.relname)::regclass and attnum > 0 and not attisdropped;
        execute format('revoke all on %I.%I from frisk_bi, frisk_hr', schema_name, t.relname);
        execute format('grant select on %I.%I to frisk_hr', schema_name, t.relname);
        if not has_person then
            execute format('grant select on %I.%I to frisk_bi', schema_name, t.relname);
        end if;
        if has_employer or has_group then
            execute format('alter table %I.%I enable row level security', schema_name, t.relname);
            execute format('drop policy if exists frisk_scope on %I.%I', schema_name, t.relname);
            if has_employer then
                execute format(
                    'create policy frisk_scope on %I.%I for select to frisk_bi, frisk_hr '
                    'using (employer_org_number::text in (select meta.visible_employers()))',
                    schema_name, t.relname);
            else
                execute format(
                    'create policy frisk_scope on %I.%I for select to frisk_bi, frisk_hr '
                    'using (collaboration_group::text in (select meta.visible_groups()))',
                    schema_name, t.relname);
            end if;
        end if;
        n := n + 1;
    end loop;
    return n;
end
$$;

-- The loader writes raw, quarantine and audit; the transformer reads them and writes the modelled schemas.
grant usage on schema raw, quarantine, audit to frisk_loader, frisk_transformer;
grant select, insert, update on all tables in schema raw, quarantine, audit to frisk_loader;
grant usage, select on all sequences in schema raw, quarantine, audit to frisk_loader;
grant select on all tables in schema raw, quarantine, audit to frisk_transformer;
alter default privileges in schema raw, quarantine, audit grant select, insert, update on tables to frisk_loader;
alter default privileges in schema raw, quarantine, audit grant usage, select on sequences to frisk_loader;
alter default privileges in schema raw, quarantine, audit grant select on tables to frisk_transformer;
grant usage, create on schema meta to frisk_transformer;
grant insert, update, select on audit.builds, audit.dbt_nodes, audit.checks to frisk_transformer;
revoke all on schema raw, quarantine, audit from public;
