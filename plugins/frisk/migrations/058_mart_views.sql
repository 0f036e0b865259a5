-- Views among the marts (fct_grant_eligibility, a view of fct_grant_lines with the status on the as-of date).
-- meta.apply_mart_security() enabled row-level security on every mart with an employer or group column, which a
-- view cannot have (ALTER TABLE ... ENABLE ROW LEVEL SECURITY fails on it). A view now gets security_invoker
-- (PostgreSQL 15): it reads its tables as the user who queries it, so the tables' policies and grants decide what
-- that user sees through it. Its own grants follow the same rule as a table's (person-level ones to frisk_hr only).
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
    for t in select c.relname, c.relkind from pg_class c join pg_namespace s on s.oid = c.relnamespace
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
        if t.relkind = 'v' then
            -- a view reads its tables as the user who queries it, so their policies and grants apply to that user
            -- (by default a view reads as its owner, who is not subject to them)
            execute format('alter view %I.%I set (security_invoker = true)', schema_name, t.relname);
        elsif has_employer or has_group then
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
