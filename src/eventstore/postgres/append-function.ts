/**
 * `pl_append(batch jsonb)`: many independent appends in one statement (group commit).
 *
 * `batch` is `[{s: streamId, c: category, x: expected, e: [{id, t, v, o, d, m}]}]` where
 * `x` is `any`, `no_stream`, `stream_exists` or a revision. The caller guarantees that a
 * stream and an event id each appear at most once per batch. Each append is decided on its
 * own: `ok` (written), `duplicate` (every id already stored in that stream: nothing written,
 * the first result returned), `mixed` (some ids stored), or `conflict` (wrong expected
 * revision; `actual` is the stream's last revision, null when it has none).
 *
 * Why a transaction-scoped advisory lock: positions are taken and committed one writer at a
 * time, so commit order equals position order and a reader paging by `position > last`
 * can never skip an event that commits late. The lock is released only after the commit is
 * visible. Batching many appends per lock (see appender.ts) keeps that serial section cheap.
 * No NOTIFY here: a NOTIFY takes a global lock through the commit's WAL flush, so it would
 * sit on every append's latency; the store sends it afterwards, coalesced (notifier.ts).
 *
 * `create or replace`: migration 0001 made the first version and 0003 replaces it in logs
 * made before (the stream's head was looked up once per use instead of once per append).
 */
export const APPEND_FUNCTION_SQL = `
create or replace function pl_append(p_batch jsonb)
returns table (idx int, outcome text, next_revision bigint, last_position bigint, actual bigint)
language plpgsql as $fn$
#variable_conflict use_column
declare
  v_head bigint;
begin
  perform pg_advisory_xact_lock(hashtext('postledger:append:' || current_schema()));
  -- a new snapshot per statement: everything committed before the lock was granted is seen
  select coalesce(max(position), 0) into v_head from pl_events;

  return query
  with a as (
    select (t.ord - 1)::int as idx, t.x->>'s' as stream_id, t.x->>'c' as category,
           t.x->>'x' as expected, t.x->'e' as events, jsonb_array_length(t.x->'e') as n
    from jsonb_array_elements(p_batch) with ordinality as t(x, ord)
  ),
  -- materialized: its one look-up per append is otherwise copied into every use of cur_rev below
  cur as materialized (
    select a.*, (select e.revision from pl_events e where e.stream_id = a.stream_id
                 order by e.revision desc limit 1) as cur_rev
    from a
  ),
  stored as (
    -- one index lookup per event id: a join here may be planned as a scan of the whole log
    select a.idx, count(*) as cnt, bool_and(ev.stream_id = a.stream_id) as same_stream,
           max(ev.revision) as max_rev, max(ev.position) as max_pos
    from a
    cross join lateral jsonb_array_elements(a.events) as e(x)
    join lateral (select s.stream_id, s.revision, s.position from pl_events s
                  where s.event_id = (e.x->>'id')::uuid limit 1) ev on true
    group by a.idx
  ),
  decided as (
    select c.*, s.max_rev, s.max_pos,
      case
        when s.cnt is not null and s.cnt = c.n and s.same_stream then 'duplicate'
        when s.cnt is not null then 'mixed'
        when c.expected = 'any' then 'ok'
        when c.expected = 'no_stream' then case when c.cur_rev is null then 'ok' else 'conflict' end
        when c.expected = 'stream_exists' then case when c.cur_rev is null then 'conflict' else 'ok' end
        when c.cur_rev = c.expected::bigint then 'ok'
        else 'conflict'
      end as outcome
    from cur c left join stored s on s.idx = c.idx
  ),
  placed as (
    select d.*,
      v_head + sum(case when d.outcome = 'ok' then d.n else 0 end) over (order by d.idx) - d.n as base_pos
    from decided d
  ),
  ins as (
    insert into pl_events (position, event_id, stream_id, category, revision, type,
                           schema_version, occurred_at, data, metadata)
    select p.base_pos + e.ord, (e.x->>'id')::uuid, p.stream_id, p.category,
           coalesce(p.cur_rev, -1) + e.ord, e.x->>'t', (e.x->>'v')::smallint,
           coalesce((e.x->>'o')::timestamptz, clock_timestamp()), e.x->'d', e.x->'m'
    from placed p
    cross join lateral jsonb_array_elements(p.events) with ordinality as e(x, ord)
    where p.outcome = 'ok'
  )
  select p.idx, p.outcome,
    case p.outcome when 'ok' then coalesce(p.cur_rev, -1) + p.n + 1 when 'duplicate' then p.max_rev + 1 end,
    case p.outcome when 'ok' then p.base_pos + p.n when 'duplicate' then p.max_pos end,
    p.cur_rev
  from placed p
  order by p.idx;
end
$fn$;
`;
