import { sql, type QueryExecutorProvider, type RawBuilder } from 'kysely';

/** Rows per statement: bounds the size of one JSON parameter (a few MB at most). */
const ROWS_PER_STATEMENT = 5000;

/**
 * Inserts `rows` into `table` (resolved on the search_path) with one statement per 5,000 rows:
 * the rows travel as one JSON parameter that PostgreSQL spreads into the table's row type
 * (`json_populate_recordset`), so neither the query builder nor the driver handles a
 * parameter per value, which is where a batch of many rows spent its time. Values as JSON
 * gives them: a `Date` becomes its ISO text, a bigint column takes a decimal string, an array
 * fills a `text[]` column and an object or array a `jsonb` one (pass the value, not its JSON
 * text). Every row names the same columns, those of the first row. `onConflict` is appended
 * as written (`on conflict (id) do nothing`, with `excluded.…` for an update).
 *
 * ```ts
 * await insertRows(trx, 'rm_comments', rows, sql`on conflict (comment_id) do nothing`);
 * ```
 */
export async function insertRows(db: QueryExecutorProvider, table: string, rows: readonly object[], onConflict?: RawBuilder<unknown>): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const list = sql.join(columns.map((c) => sql.id(c)));
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = start === 0 && rows.length <= ROWS_PER_STATEMENT ? rows : rows.slice(start, start + ROWS_PER_STATEMENT);
    await sql`insert into ${sql.id(table)} (${list})
              select ${list} from json_populate_recordset(null::${sql.id(table)}, ${JSON.stringify(chunk)}::json)
              ${onConflict ?? sql``}`.execute(db);
  }
}
