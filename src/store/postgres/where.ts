/** A WHERE condition: literal SQL, or SQL with one `?` and its value. Names are never user input. */
export type Condition = string | readonly [clause: string, value: unknown];

/**
 * ANDs the defined conditions, numbering PostgreSQL's placeholders: `?` becomes `$1`, `$2`, …
 * `sql` is empty or starts with ` WHERE`; `next` is the number of the next placeholder.
 */
export function where(conditions: ReadonlyArray<Condition | undefined>): { sql: string; params: unknown[]; next: number } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  for (const c of conditions) {
    if (c === undefined) continue;
    if (typeof c === 'string') {
      clauses.push(c);
    } else {
      params.push(c[1]);
      clauses.push(c[0].replace('?', `$${params.length}`));
    }
  }
  return { sql: clauses.length > 0 ? ` WHERE ${clauses.join(' AND ')}` : '', params, next: params.length + 1 };
}
