-- Made by 'scripts/infra.sh kubernetes' from the services it declares: edit the declaration there, not this file.
do $$ begin if not exists (select from pg_roles where rolname = 'pipeline_orchestrator') then create role pipeline_orchestrator; end if; end $$;
do $$ begin if not exists (select from pg_roles where rolname = 'pipeline_uploader') then create role pipeline_uploader; end if; end $$;
revoke all on database pipeline from public;
create schema if not exists pipeline authorization pipeline_owner;
grant connect on database pipeline to pipeline_orchestrator;
grant usage on schema pipeline to pipeline_orchestrator;
grant connect on database pipeline to pipeline_uploader;
grant usage on schema pipeline to pipeline_uploader;
drop function if exists public.pipeline_grant_privileges();
create or replace function public.pipeline_grant_privileges(schema_name text) returns void language plpgsql as $f$
declare
  role_name text;
  g text[];
  sequence_name regclass;
begin
  foreach role_name in array array['pipeline_orchestrator','pipeline_uploader']::text[] loop
    execute format('grant usage on schema %I to %I', schema_name, role_name);
    execute format('revoke all on all tables in schema %I from %I', schema_name, role_name);
    execute format('revoke all on all sequences in schema %I from %I', schema_name, role_name);
  end loop;
  foreach g slice 1 in array array[['pipeline_orchestrator','mt_doc_trainingstate','rw'],['pipeline_orchestrator','outbox_messages','rw'],['pipeline_orchestrator','inbox_messages','rw'],['pipeline_orchestrator','mt_doc_modelversion','r'],['pipeline_uploader','mt_doc_modelversion','rw'],['pipeline_uploader','mt_doc_currentmodelalias','rw'],['pipeline_uploader','mt_doc_projectmodelcounter','rw'],['pipeline_uploader','mt_doc_storeddetections','rw'],['pipeline_uploader','outbox_messages','rw'],['pipeline_uploader','inbox_messages','rw']]::text[] loop
    continue when to_regclass(format('%I.%I', schema_name, g[2])) is null;  -- applied later, with the schema
    execute format('grant %s on %I.%I to %I',
      case g[3] when 'rw' then 'select, insert, update, delete' else 'select' end, schema_name, g[2], g[1]);
    continue when g[3] <> 'rw';
    for sequence_name in
      select d.objid::regclass from pg_depend d join pg_class c on c.oid = d.objid and c.relkind = 'S'
      where d.refobjid = format('%I.%I', schema_name, g[2])::regclass
    loop
      execute format('grant usage, select on sequence %s to %I', sequence_name, g[1]);
    end loop;
  end loop;
end $f$;
alter function public.pipeline_grant_privileges(text) owner to pipeline_owner;
revoke all on function public.pipeline_grant_privileges(text) from public;
