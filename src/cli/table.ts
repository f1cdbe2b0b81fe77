/**
 * Plain-text formatting for terminal output: aligned tables, relative ages, durations and
 * state counts. Pure functions; "now" is always passed in.
 */

/**
 * Left-aligned columns separated by two spaces, with no trailing whitespace, so output pastes
 * cleanly into issues and greps well. Widths count code points, not UTF-16 units.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    headers
      .map((_, i) => {
        const cell = cells[i] ?? '';
        return i === headers.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell));
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function width(s: string): number {
  return [...s].length;
}

/** Coarse age, one unit, like kubectl: `12s`, `3m`, `2h`, `4d`. Future times (clock skew) read `0s`. */
export function formatAge(since: number, now: number): string {
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** A span with two units where it matters: `850ms`, `45s`, `1m20s`, `2h5m`. */
export function formatDuration(ms: number): string {
  const clamped = Math.max(0, ms);
  if (clamped < 1000) return `${Math.round(clamped)}ms`;
  const seconds = Math.floor(clamped / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return joinUnits(minutes, 'm', seconds % 60, 's');
  const hours = Math.floor(minutes / 60);
  return joinUnits(hours, 'h', minutes % 60, 'm');
}

function joinUnits(big: number, bigUnit: string, small: number, smallUnit: string): string {
  return small === 0 ? `${big}${bigUnit}` : `${big}${bigUnit}${small}${smallUnit}`;
}

/**
 * `{Ready: 2, Active: 1, Stopped: 0}` → `Active:1 Ready:2`, in the given order of states
 * (unknown states last, alphabetically), zeros left out; `-` when nothing is left.
 */
export function formatCounts(counts: Readonly<Record<string, number>>, order: readonly string[] = []): string {
  const rank = (k: string) => {
    const i = order.indexOf(k);
    return i === -1 ? order.length : i;
  };
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([k, n]) => `${k}:${n}`);
  return parts.length ? parts.join(' ') : '-';
}

/** An instant as UTC ISO-8601 to the second: the same text for every operator in every zone. */
export function formatTime(at: number): string {
  return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Shortens free text for a table cell, marking the cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text.replace(/\s+/g, ' ')];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** Table cells never render as empty: missing values read `-`. */
export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : String(value);
}
