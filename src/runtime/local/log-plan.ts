/**
 * What to do with game-server log files. A server's output goes straight to `<id>.log` (no pipe
 * through the control plane, which may restart), so the control plane cannot stop it writing;
 * it can only look at sizes and act: rotate a live file past its size limit, drop rotated files
 * beyond the count, and remove every file of a server that is gone once they have been quiet for
 * the retention period. Pure: the directory listing and `now` come in, actions go out.
 */

export interface LogPolicy {
  /** A live log past this size is rotated; a rotated file never holds more. */
  maxBytes: number;
  /** Rotated files kept per server (`<id>.log.1` newest … `<id>.log.<files>` oldest). */
  files: number;
  /** A gone server's files are removed once none was written for this long. */
  retainMs: number;
}

export interface LogFileView {
  name: string;
  size: number;
  mtimeMs: number;
}

export type LogAction =
  | { kind: 'rotate'; serverId: string }
  | { kind: 'remove'; serverId: string; names: string[] };

/** `srv_1.log` → live file of srv_1; `srv_1.log.2` → its second rotated file. */
export function parseLogName(name: string): { serverId: string; index: number } | undefined {
  const m = /^(.+)\.log(?:\.(\d+))?$/.exec(name);
  if (!m?.[1]) return undefined;
  return { serverId: m[1], index: m[2] === undefined ? 0 : Number(m[2]) };
}

/**
 * The actions due at `now`. `running` holds the servers that may still write (tracked, starting,
 * or found alive on the host); their files are never removed, only rotated and trimmed.
 */
export function planLogs(files: readonly LogFileView[], running: ReadonlySet<string>, now: number, policy: LogPolicy): LogAction[] {
  const byServer = new Map<string, { live?: LogFileView; all: LogFileView[]; surplus: string[] }>();
  for (const f of files) {
    const parsed = parseLogName(f.name);
    if (!parsed) continue;
    const entry = byServer.get(parsed.serverId) ?? { all: [], surplus: [] };
    entry.all.push(f);
    if (parsed.index === 0) entry.live = f;
    else if (parsed.index > policy.files) entry.surplus.push(f.name);
    byServer.set(parsed.serverId, entry);
  }
  const actions: LogAction[] = [];
  for (const [serverId, entry] of [...byServer].sort(([a], [b]) => a.localeCompare(b))) {
    const lastWrite = Math.max(...entry.all.map((f) => f.mtimeMs));
    if (!running.has(serverId) && lastWrite < now - policy.retainMs) {
      actions.push({ kind: 'remove', serverId, names: entry.all.map((f) => f.name).sort() });
      continue;
    }
    if (entry.live && entry.live.size > policy.maxBytes) actions.push({ kind: 'rotate', serverId });
    if (entry.surplus.length > 0) actions.push({ kind: 'remove', serverId, names: entry.surplus.sort() });
  }
  return actions;
}
