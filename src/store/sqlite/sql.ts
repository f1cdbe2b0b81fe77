/** Small SQL builders shared by the SQLite adapter. Table and column names are never user input. */

/** A WHERE condition: literal SQL, or SQL with one `?` and its value. */
export type Condition = string | readonly [clause: string, value: unknown];

/** `INSERT … ON CONFLICT DO UPDATE` over named parameters; the first column is the key. */
export function upsert(table: string, columns: readonly [string, ...string[]]): string {
  const [key, ...rest] = columns;
  const names = columns.join(', ');
  const values = columns.map((c) => `@${c}`).join(', ');
  const updates = rest.map((c) => `${c} = excluded.${c}`).join(', ');
  return `INSERT INTO ${table} (${names}) VALUES (${values}) ON CONFLICT (${key}) DO UPDATE SET ${updates}`;
}

/** ANDs the defined conditions; `sql` is empty or starts with ` WHERE`. */
export function where(conditions: ReadonlyArray<Condition | undefined>): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const c of conditions) {
    if (c === undefined) continue;
    if (typeof c === 'string') {
      clauses.push(c);
    } else {
      clauses.push(c[0]);
      params.push(c[1]);
    }
  }
  return { sql: clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '', params };
}
