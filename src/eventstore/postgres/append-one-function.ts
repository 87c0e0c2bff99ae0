/**
 * `pl_append_one(stream, category, expected, events jsonb)`: the same decision as
 * `pl_append` (append-function.ts) for a batch of one append, in plain statements that plan
 * and run faster than the set-based batch query. The appender uses it when it has a single
 * append to send, which is every append of a writer working alone. `events` is
 * `[{id, t, v, o, d, m}]` and `ids` the same ids as an array (looked up by index directly);
 * the result is one row like `pl_append`'s.
 */
export const APPEND_ONE_FUNCTION_SQL = `
create function pl_append_one(p_stream text, p_category text, p_expected text, p_ids uuid[], p_events jsonb)
returns table (idx int, outcome text, next_revision bigint, last_position bigint, actual bigint)
language plpgsql as $fn$
declare
  v_head bigint;
  v_current bigint;
  v_count int := cardinality(p_ids);
  v_stored int;
  v_same_stream boolean;
  v_max_rev bigint;
  v_max_pos bigint;
begin
  perform pg_advisory_xact_lock(hashtext('postledger:append:' || current_schema()));
  select coalesce(max(s.position), 0) into v_head from pl_events s;

  select count(*), bool_and(s.stream_id = p_stream), max(s.revision), max(s.position)
    into v_stored, v_same_stream, v_max_rev, v_max_pos
    from pl_events s where s.event_id = any(p_ids);

  select s.revision into v_current from pl_events s where s.stream_id = p_stream order by s.revision desc limit 1;

  if v_stored > 0 then
    if v_stored = v_count and v_same_stream then
      return query select 0, 'duplicate'::text, v_max_rev + 1, v_max_pos, v_current;
    else
      return query select 0, 'mixed'::text, null::bigint, null::bigint, v_current;
    end if;
    return;
  end if;

  if not (p_expected = 'any'
          or (p_expected = 'no_stream' and v_current is null)
          or (p_expected = 'stream_exists' and v_current is not null)
          or (p_expected not in ('any', 'no_stream', 'stream_exists') and coalesce(v_current = p_expected::bigint, false))) then
    return query select 0, 'conflict'::text, null::bigint, null::bigint, v_current;
    return;
  end if;

  insert into pl_events (position, event_id, stream_id, category, revision, type,
                         schema_version, occurred_at, data, metadata)
  select v_head + e.ord, (e.x->>'id')::uuid, p_stream, p_category, coalesce(v_current, -1) + e.ord,
         e.x->>'t', (e.x->>'v')::smallint, coalesce((e.x->>'o')::timestamptz, clock_timestamp()),
         e.x->'d', e.x->'m'
  from jsonb_array_elements(p_events) with ordinality as e(x, ord);

  return query select 0, 'ok'::text, coalesce(v_current, -1) + v_count + 1, v_head + v_count, v_current;
end
$fn$;
`;
