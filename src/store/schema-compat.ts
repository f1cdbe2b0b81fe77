/**
 * Which Handoff may run on which schema, for both engines. Every migration is an *expand* step
 * (adds what older code ignores) unless it declares itself a *contract* step, which drops,
 * renames or tightens something older code uses and names the oldest schema version whose code
 * still runs after it. Each applied step records that version (`compatible_from`) in
 * `schema_migrations`, so a Handoff that meets a schema newer than it knows can tell whether it
 * may run on it without knowing the newer steps (docs/upgrades.md).
 */

export interface SchemaStep {
  version: number;
  /** Absent: an expand step. */
  contract?: { compatibleFrom: number };
}

/** The oldest schema version whose code still runs once `list` is applied up to `version`. */
export function compatibleFromAt(list: readonly SchemaStep[], version: number): number {
  let from = 1;
  for (const m of list) if (m.version <= version && m.contract) from = Math.max(from, m.contract.compatibleFrom);
  return from;
}

/** Programming errors in a migration list, caught at start-up rather than in a database. */
export function checkSteps(list: readonly SchemaStep[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migration at index ${i} has version ${m.version}; versions must be 1, 2, 3, …`);
    const from = m.contract?.compatibleFrom;
    if (from !== undefined && (!Number.isInteger(from) || from < 1 || from > m.version)) {
      throw new Error(`Migration ${m.version} declares compatibleFrom ${from}; it must be a version from 1 to ${m.version}`);
    }
  });
}

/** The newest step recorded in a database: its version and the `compatible_from` it recorded (null when none was). */
export interface RecordedSchema {
  version: number;
  compatibleFrom: number | null;
}

export type SchemaDecision =
  /** The schema is this code's or older: apply what is missing. */
  | { action: 'migrate' }
  /** Newer, but every step past `known` only expanded: run on it as it is, migrating nothing. */
  | { action: 'run-newer' }
  /** Newer, with a contract step past what this code can live with (or no record saying otherwise). */
  | { action: 'refuse'; compatibleFrom: number | null };

/**
 * What a Handoff that knows schema versions up to `known` does with a database at `db`. A newer
 * schema without a `compatible_from` record is refused: whoever migrated it did not say it is safe.
 */
export function decideSchema(db: RecordedSchema, known: number): SchemaDecision {
  if (db.version <= known) return { action: 'migrate' };
  if (db.compatibleFrom !== null && db.compatibleFrom <= known) return { action: 'run-newer' };
  return { action: 'refuse', compatibleFrom: db.compatibleFrom };
}
