import { describe, expect, it } from 'vitest';
import { manifestToApplyRequest } from './manifest.js';
import { UsageError } from './usage.js';

const build = { id: 'arena-1', version: '1.0.0', launch: { executable: './arena' }, sessionsPerServer: 8 };
const fleet = { name: 'arena', build: 'arena-1', capacity: { minServers: 1, maxServers: 4 } };

describe('manifestToApplyRequest', () => {
  it('collects multi-document YAML by kind and drops the kind field', () => {
    const yaml = `
kind: Build
id: arena-1
version: 1.0.0
launch: { executable: ./arena }
sessionsPerServer: 8
---
kind: Fleet
name: arena
build: arena-1
capacity: { minServers: 1, maxServers: 4 }
`;
    expect(manifestToApplyRequest(yaml, 'arena.yaml')).toEqual({ builds: [build], fleets: [fleet] });
  });

  it('accepts one document with builds and fleets lists', () => {
    const yaml = `
builds:
  - id: arena-1
    version: "1.0.0"
    launch: { executable: ./arena }
    sessionsPerServer: 8
fleets:
  - name: arena
    build: arena-1
    capacity: { minServers: 1, maxServers: 4 }
`;
    expect(manifestToApplyRequest(yaml, 'arena.yaml')).toEqual({ builds: [build], fleets: [fleet] });
  });

  it('reads JSON, which is YAML', () => {
    expect(manifestToApplyRequest(JSON.stringify({ fleets: [fleet] }), 'f.json')).toEqual({ builds: [], fleets: [fleet] });
  });

  it('skips empty documents, such as a trailing ---, and mixes the two shapes', () => {
    const yaml = `---\nbuilds: []\nfleets: []\n---\n---\nkind: Fleet\nname: arena\n---\n`;
    expect(manifestToApplyRequest(yaml, 'm.yaml')).toEqual({ builds: [], fleets: [{ name: 'arena' }] });
  });

  it('leaves field validation to the server: odd fields pass through unchanged', () => {
    const request = manifestToApplyRequest('kind: Build\nid: 42\nsessionsPerServer: lots\n', 'm.yaml');
    expect(request.builds).toEqual([{ id: 42, sessionsPerServer: 'lots' }]);
  });

  it('collects release plans next to builds and fleets, and leaves the list out when there are none', () => {
    const yaml = `kind: Fleet\nname: arena\n---\nkind: ReleasePlan\nname: season\nsteps:\n  - { name: a, fleet: arena, build: arena-2, strategy: rolling, after: [] }\n`;
    expect(manifestToApplyRequest(yaml, 'm.yaml')).toEqual({
      builds: [], fleets: [{ name: 'arena' }],
      releasePlans: [{ name: 'season', steps: [{ name: 'a', fleet: 'arena', build: 'arena-2', strategy: 'rolling', after: [] }] }],
    });
    expect(manifestToApplyRequest('kind: Fleet\nname: arena\n', 'm.yaml')).not.toHaveProperty('releasePlans');
  });

  it('refuses a misspelt field in a release plan step, naming it', () => {
    const yaml = `kind: ReleasePlan\nname: season\nsteps:\n  - { name: a, fleet: arena, build: arena-2, aftr: [] }\n`;
    expect(() => manifestToApplyRequest(yaml, 'm.yaml')).toThrow(/m\.yaml: document 1: unknown field "steps\.0\.aftr"/);
  });

  it('tolerates a matching kind on a list item and drops it', () => {
    expect(manifestToApplyRequest('fleets:\n  - kind: Fleet\n    name: arena\n', 'm.yaml').fleets).toEqual([{ name: 'arena' }]);
  });

  it('sends Environment and Webhook documents in their own lists, and leaves the lists out when none is declared', () => {
    const text = 'kind: Environment\nname: prod\nfleets: [arena]\n---\nkind: Webhook\nname: ops\nurl: http://127.0.0.1:9/hook\nsecret: sixteen-chars-at-least\nformat: slack\n';
    expect(manifestToApplyRequest(text, 'm.yaml')).toEqual({
      builds: [], fleets: [],
      environments: [{ name: 'prod', fleets: ['arena'] }],
      webhooks: [{ name: 'ops', url: 'http://127.0.0.1:9/hook', secret: 'sixteen-chars-at-least', format: 'slack' }],
    });
    expect(manifestToApplyRequest('kind: Fleet\nname: arena\n', 'm.yaml')).toEqual({ builds: [], fleets: [{ name: 'arena' }] });
  });

  it.each([
    ['an unknown kind, naming the document', 'kind: Build\nid: a\n---\nkind: Server\nid: b\n', /m\.yaml: document 2: unknown kind "Server"/],
    ['a missing kind value', 'kind:\nid: a\n', /document 1: unknown kind null/],
    ['a document that is not a mapping', 'kind: Build\n---\n- a\n- b\n', /document 2: expected a mapping, got a list/],
    ['an unknown top-level key', 'bulds: []\n', /document 1: unknown top-level key "bulds" \(did you mean "builds"\?\)/],
    ['a misspelt field of a Fleet document, with its full path and the right name',
      'kind: Build\nid: a\n---\nkind: Fleet\nname: arena\ncapacity: { minServers: 1, maxServers: 2, idleTimeoutSecond: 5 }\n',
      /m\.yaml: document 2: unknown field "capacity\.idleTimeoutSecond" \(did you mean "idleTimeoutSeconds"\?\)/],
    ['a misspelt field of a listed build', 'builds:\n  - id: a\n    portz: []\n', /document 1: builds\[0\]: unknown field "portz" \(did you mean "ports"\?\)/],
    ['a misspelt field deep in a build', 'kind: Build\nid: a\nports: [{ name: game, protocl: udp }]\n', /unknown field "ports\.0\.protocl" \(did you mean "protocol"\?\)/],
    ['a list that is not a list', 'fleets: {name: arena}\n', /`fleets` must be a list/],
    ['a list item that is not a mapping', 'builds:\n  - arena-1\n', /builds\[0\] must be a mapping/],
    ['a list item of the wrong kind', 'builds:\n  - kind: Fleet\n', /kind "Fleet" does not belong in `builds`/],
    ['a misspelt field of an Environment document', 'kind: Environment\nname: prod\nfleets: [arena]\nslots: { green: { build: b, warmServer: 1 } }\n',
      /document 1: unknown field "slots\.green\.warmServer" \(did you mean "warmServers"\?\)/],
    ['invalid YAML', 'kind: Build\n---\nid: [1\nx: 2\n', /document 2: invalid YAML/],
    ['a file with nothing in it', '# just a comment\n', /no builds, fleets, rollouts, release plans, environments or webhooks found/],
  ])('rejects %s', (_what, text, message) => {
    expect(() => manifestToApplyRequest(text, 'm.yaml')).toThrow(UsageError);
    expect(() => manifestToApplyRequest(text, 'm.yaml')).toThrow(message);
  });
});

describe('a kind: Rollout manifest with a background analysis', () => {
  const yaml = (metric: string) => `
kind: Rollout
fleet: arena
build: arena-2
strategy: blue-green
backgroundAnalysis:
  intervalSeconds: 30
  windowSeconds: 120
  metrics:
    - { metric: ${metric}, max: 0.05 }
`;

  it('carries it to the apply request', () => {
    const req = manifestToApplyRequest(yaml('crash_rate'), 'release.yaml') as unknown as { rollouts: Record<string, unknown>[] };
    expect(req.rollouts[0]).toMatchObject({ fleet: 'arena', build: 'arena-2', backgroundAnalysis: { intervalSeconds: 30, windowSeconds: 120, metrics: [{ metric: 'crash_rate', max: 0.05 }] } });
  });

  it('refuses a misspelt field in it before anything is sent', () => {
    expect(() => manifestToApplyRequest(yaml('crash_rate').replace('intervalSeconds', 'intervalSecs'), 'release.yaml')).toThrow(UsageError);
  });
});
