/**
 * Acceptance: the environment cycle against a real control plane and real arena servers —
 * a staged build's warm servers make the switch start no process; the completed release is
 * followed by relabel, snapshot, clone and stage; promotion carries the same build id from
 * staging to production; restoring a snapshot brings the earlier configuration back; and a
 * webhook hears the release, signed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { verify } from '../../src/notify/signature.js';
import { must, useHarness, waitFor } from './harness.js';
import { applyArenaFleet, arenaBuild, FLEET, V1, V2, waitForPhase } from './support/release.js';

const harness = useHarness('environments.e2e');
const STAGE_FLEET = 'arena-staging';
const V3 = 'arena-v3';
const SECRET = 'e2e-webhook-secret-0123456789';

interface Slot { build: string; warmServers: number; stagedAt: number | null }
interface Env { name: string; live: 'blue' | 'green'; slots: Record<'blue' | 'green', Slot>; restoring: unknown; next: unknown; history: { action: string; build: string }[]; lastSnapshot: number }
interface Snapshot { number: number; live: 'blue' | 'green'; slots: Record<'blue' | 'green', Slot>; fleets: { name: string; currentBuild: string }[] }

describe('an environment through the relabel, snapshot, clone, stage cycle', () => {
  it('switches to a staged build without starting a process, promotes the same build id, and restores an earlier snapshot', async () => {
    const { api } = harness();
    const hook = await receiver();
    try {
      await applyArenaFleet(api, { sessionsPerServer: 4, minServers: 1, bufferServers: 0 });
      must(await api.apply({
        builds: [arenaBuild(V3, '3.0.0', 4)],
        fleets: [{ name: STAGE_FLEET, build: V1, capacity: { minServers: 1, maxServers: 4, bufferServers: 0, idleTimeoutSeconds: 600 }, health: { timeoutSeconds: 15, startTimeoutSeconds: 45, stopGraceSeconds: 5 } }],
        environments: [{ name: 'production', fleets: [FLEET] }, { name: 'staging', fleets: [STAGE_FLEET] }],
        webhooks: [{ name: 'ops', url: hook.url, secret: SECRET }, { name: 'chat', url: `${hook.url}/slack`, secret: SECRET, format: 'slack', events: ['completed'] }],
      }), 'apply environments and the webhook');
      await waitFor(async () => (await api.servers(STAGE_FLEET)).some((s) => s.build === V1 && s.state === 'Ready'), { what: 'a Ready staging server', timeoutMs: 45_000 });

      // Snapshot #1: the configuration before anything is released.
      const first = must(await api.request<Snapshot>('POST', '/v1/environments/staging/snapshots'), 'snapshot staging');
      expect(first).toMatchObject({ number: 1, live: 'blue', slots: { blue: { build: V1 } }, fleets: [{ name: STAGE_FLEET, currentBuild: V1 }] });

      // Stage v2 with one warm server per fleet: it starts, Ready, outside the routing table.
      must(await api.request('POST', '/v1/environments/staging/stage', { build: V2, warmServers: 1 }), 'stage v2');
      const warm = await waitFor(async () => (await api.servers(STAGE_FLEET)).find((s) => s.build === V2 && s.state === 'Ready'), { what: 'a warm v2 server', timeoutMs: 45_000 });
      const placed = must(await api.allocate(STAGE_FLEET, 'before-switch'), 'allocate before the switch');
      expect(placed.server.id, 'a warm server takes no sessions').not.toBe(warm.id);
      const startedBefore = (await api.events(STAGE_FLEET)).filter((e) => e.kind === 'server.started').length;

      // The release to the staged build: the warm server is its server; no process is started.
      const release = must(await api.startRollout({ fleet: STAGE_FLEET, build: V2, strategy: 'blue-green', autoPromote: true, smoke: null, drain: null, oldIdleSeconds: 1, readyTimeoutSeconds: 60, maxStartFailures: 3 }), 'release v2 to staging');
      // Asked for while the release runs: v3 is queued and staged by the cycle once it completes.
      const queued = must(await api.request<Env>('POST', '/v1/environments/staging/stage', { build: V3, warmServers: 0 }), 'queue v3');
      expect(queued.next).toEqual({ build: V3, warmServers: 0 });
      await api.request('DELETE', `/v1/sessions/${placed.sessionId}`);
      await waitForPhase(api, release.id, 'Completed', 60_000);
      const v2Servers = (await api.servers(STAGE_FLEET, { all: true })).filter((s) => s.build === V2);
      expect(v2Servers.map((s) => s.id)).toEqual([warm.id]);
      const startedDuring = (await api.events(STAGE_FLEET)).filter((e) => e.kind === 'server.started').length - startedBefore;
      expect(startedDuring, 'processes started by the switch').toBe(0);

      // The cycle: relabel (green live on v2), snapshot #2, clone (blue from green), stage (v3, queued).
      const cycled = await waitFor(async () => {
        const e = must(await api.request<Env>('GET', '/v1/environments/staging'), 'get staging');
        return e.lastSnapshot === 2 && e.next === null ? e : null;
      }, { what: 'the cycle after the release', timeoutMs: 20_000 });
      expect(cycled.live).toBe('green');
      expect(cycled.slots.green.build).toBe(V2);
      expect(cycled.slots.blue).toMatchObject({ build: V3, warmServers: 0 });
      expect(cycled.slots.blue.stagedAt).not.toBeNull();
      const actions = cycled.history.map((h) => h.action);
      expect(actions.slice(actions.lastIndexOf('relabel'))).toEqual(['relabel', 'snapshot', 'clone', 'stage']);
      const history = must(await api.request<{ items: { action: string }[] }>('GET', '/v1/environments/staging/history?limit=4'), 'history').items;
      expect(history.map((h) => h.action)).toEqual(['stage', 'clone', 'snapshot', 'relabel']);

      // Promotion: production's idle slot takes the build live in staging — the same build id.
      const promoted = must(await api.request<Env>('POST', '/v1/environments/production/stage', { from: 'staging' }), 'promote to production');
      expect(promoted.slots[promoted.live === 'blue' ? 'green' : 'blue'].build).toBe(cycled.slots.green.build);
      expect(promoted.slots[promoted.live].build).toBe(V1);

      // Restore snapshot #1: a release back to v1, then the slots of #1.
      const restore = must(await api.request<{ releases: { fleet: string; rollout: string }[] }>('POST', '/v1/environments/staging/restore', { snapshot: 1, release: { oldIdleSeconds: 1 } }), 'restore #1');
      expect(restore.releases.map((r) => r.fleet)).toEqual([STAGE_FLEET]);
      await waitForPhase(api, restore.releases[0]?.rollout ?? '', 'Completed', 60_000);
      const restored = await waitFor(async () => {
        const e = must(await api.request<Env>('GET', '/v1/environments/staging'), 'get staging');
        return e.restoring === null && e.history.at(-2)?.action === 'restored' ? e : null;
      }, { what: 'the restore to finish', timeoutMs: 20_000 });
      expect({ live: restored.live, blue: restored.slots.blue.build, green: restored.slots.green.build }).toEqual({ live: first.live, blue: first.slots.blue.build, green: first.slots.green.build });
      expect(must(await api.fleet(STAGE_FLEET), 'get staging fleet').currentBuild).toBe(V1);

      // The webhook heard the staging release start and complete, every body signed.
      const heard = await waitFor(() => (hook.received.filter((r) => r.path === '/hook' && r.event === 'completed').length >= 2 ? hook.received : null), { what: 'two completed notifications', timeoutMs: 20_000 });
      expect(heard.every((r) => r.valid)).toBe(true);
      const json = heard.filter((r) => r.path === '/hook');
      expect(json.filter((r) => r.subject === release.id).map((r) => r.event)).toEqual(expect.arrayContaining(['started', 'step', 'completed']));
      // The Slack-format webhook hears only what it subscribed to, as a Slack body.
      const slack = await waitFor(() => { const got = heard.filter((r) => r.path === '/hook/slack'); return got.length >= 2 ? got : null; }, { what: 'two Slack notifications', timeoutMs: 20_000 });
      expect(slack.every((r) => r.event === 'completed' && r.text.startsWith('Handoff: release completed on arena-staging'))).toBe(true);
      const log = must(await api.request<{ items: { state: string; attempts: unknown[] }[] }>('GET', '/v1/webhooks/ops/deliveries'), 'delivery log').items;
      expect(log.length).toBeGreaterThanOrEqual(4);
      expect(log.filter((d) => d.state === 'delivered').length).toBeGreaterThanOrEqual(4);
    } finally {
      await hook.close();
    }
  }, 240_000);
});

/** A real webhook receiver: records each notification and whether its signature verifies. */
interface Heard { path: string; event: string; subject: string; text: string; valid: boolean }

async function receiver(): Promise<{ url: string; received: Heard[]; close: () => Promise<void> }> {
  const received: Heard[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { subject?: string; text?: string };
      const header = (name: string) => { const v = req.headers[name]; return typeof v === 'string' ? v : null; };
      received.push({
        path: req.url ?? '', event: header('handoff-event') ?? '', subject: parsed.subject ?? '', text: parsed.text ?? '',
        valid: verify(SECRET, body, header('handoff-signature'), Date.now()),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}


