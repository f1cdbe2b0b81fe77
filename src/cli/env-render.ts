/**
 * How environments and webhooks print: `env list`, `env status`, `webhook list|deliveries`.
 * Pure, with `now` passed in, like the other tables.
 */
import { formatAge, formatTime, orDash, renderTable, truncate } from './table.js';
import type { DeliveryView, EnvironmentView, EnvSnapshotView, WebhookView } from './views.js';

const other = (s: 'blue' | 'green') => (s === 'blue' ? 'green' : 'blue');

export function renderEnvList(envs: readonly EnvironmentView[], now: number): string {
  if (envs.length === 0) return 'No environments.';
  return renderTable(
    ['NAME', 'FLEETS', 'LIVE', 'LIVE BUILD', 'IDLE BUILD', 'STAGED', 'SNAPSHOT', 'AGE'],
    envs.map((e) => {
      const idle = e.slots[other(e.live)];
      return [
        e.name, e.fleets.join(','), e.live, e.slots[e.live].build, idle.build,
        idle.stagedAt === null ? '-' : `${idle.warmServers} warm`, e.lastSnapshot ? `#${e.lastSnapshot}` : '-', formatAge(e.createdAt, now),
      ];
    }),
  );
}

/** `env status NAME`: slots, what is in flight, recent history and snapshots. */
export function renderEnvStatus(e: EnvironmentView, snapshots: readonly EnvSnapshotView[], historyLines: number): string {
  const lines = [`Environment ${e.name}   fleets ${e.fleets.join(', ')}   live ${e.live}`];
  const slotRows = (['blue', 'green'] as const).map((s) => {
    const p = e.slots[s];
    return [s, s === e.live ? 'live' : 'idle', p.build, String(p.warmServers), p.stagedAt === null ? '-' : formatTime(p.stagedAt), formatTime(p.boundAt)];
  });
  lines.push('', renderTable(['SLOT', 'ROLE', 'BUILD', 'WARM', 'STAGED AT', 'BOUND AT'], slotRows));
  if (e.restoring) lines.push('', `Restoring snapshot #${e.restoring.snapshot}: releasing ${e.restoring.build} (since ${formatTime(e.restoring.startedAt)})`);
  if (e.next) lines.push('', `Queued: ${e.next.build} is staged (${e.next.warmServers} warm) when the release in flight completes`);
  const recent = e.history.slice(-historyLines).reverse();
  if (recent.length > 0) {
    lines.push('', 'History (newest first):');
    lines.push(renderTable(['AT', 'ACTION', 'SLOT', 'BUILD', 'DETAIL'], recent.map((h) => [formatTime(h.at), h.action, h.slot, h.build, truncate(h.detail, 80)])));
  }
  lines.push('');
  if (snapshots.length === 0) lines.push('No snapshots yet (one is taken after each completed release, or with `handoff env snapshot`).');
  else {
    lines.push('Snapshots (newest first):');
    lines.push(renderTable(['#', 'TAKEN', 'LIVE', 'BUILDS', 'REASON'], snapshots.map((s) => [String(s.number), formatTime(s.takenAt), `${s.live} ${s.slots[s.live].build}`, s.builds.join(','), s.reason])));
  }
  return lines.join('\n');
}

export function renderSnapshot(s: EnvSnapshotView): string {
  const fleets = s.fleets.map((f) => `${f.name} on ${f.currentBuild}`).join(', ');
  return `snapshot #${s.number} of ${s.environment} taken: ${s.live} live on ${s.slots[s.live].build}; ${fleets}`;
}

export function renderWebhookList(hooks: readonly WebhookView[], now: number): string {
  if (hooks.length === 0) return 'No webhooks.';
  return renderTable(['NAME', 'URL', 'EVENTS', 'FORMAT', 'AGE'], hooks.map((h) => [h.name, truncate(h.url, 60), h.events.length ? h.events.join(',') : 'all', h.format, formatAge(h.createdAt, now)]));
}

export function renderDeliveries(ds: readonly DeliveryView[]): string {
  if (ds.length === 0) return 'No deliveries.';
  return renderTable(
    ['ID', 'EVENT', 'FLEET', 'STATE', 'ATTEMPTS', 'LAST', 'NEXT', 'CREATED'],
    ds.map((d) => {
      const last = d.attempts.at(-1);
      const lastText = last ? (last.error ?? String(last.status)) : '-';
      return [d.id, d.event, orDash(d.fleet), d.state, String(d.attempts.length), truncate(lastText, 40), d.nextAttemptAt === null ? '-' : formatTime(d.nextAttemptAt), formatTime(d.createdAt)];
    }),
  );
}
