/**
 * The Prometheus analysis provider against a real Prometheus server (Debian's `prometheus`
 * package; `.ci/run` installs it): started on loopback with its own config and storage,
 * scraping a real control plane's /metrics every second. Skipped, saying why, only when the
 * binary is absent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPrometheus, runPrometheusQuery } from '../../src/analysis/providers/prometheus.js';
import { AnalysisSpecSchema, type PrometheusQuery } from '../../src/analysis/spec.js';
import { freePort, startTestPlane, waitFor, type TestPlane } from '../support/control-plane.js';

const PROMETHEUS = process.env.HANDOFF_PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const available = existsSync(PROMETHEUS);
if (!available) console.warn(`SKIPPED: the Prometheus provider test needs ${PROMETHEUS} (apt-get install prometheus; .ci/run installs it)`);

const query = (q: Partial<PrometheusQuery> & { query: string }): PrometheusQuery => AnalysisSpecSchema.parse({ prometheus: [{ name: 'q', max: 1e9, ...q }] }).prometheus[0]!;

describe.skipIf(!available)('the Prometheus provider against a real Prometheus', () => {
  let plane: TestPlane;
  let prometheus: ChildProcess | undefined;
  let dir: string;
  let address: string;
  let output = '';

  beforeAll(async () => {
    plane = await startTestPlane({ portBase: 45_100 });
    dir = mkdtempSync(path.join(tmpdir(), 'handoff-prometheus-'));
    const target = new URL(plane.cp.url).host;
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', '  - job_name: handoff', '    static_configs:', `      - targets: ['${target}']`, ''].join('\n'),
    );
    const port = await freePort();
    address = `http://127.0.0.1:${port}`;
    prometheus = spawn(PROMETHEUS, [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    prometheus.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    // Up once it has scraped the control plane at least once.
    await waitFor(async () => {
      if (prometheus?.exitCode !== null) throw new Error(`prometheus exited ${prometheus?.exitCode}: ${output.slice(-2000)}`);
      const up = await queryPrometheus(address, 'up{job="handoff"}', { timeoutMs: 2000 });
      return up.kind === 'value' && up.value === 1;
    }, `Prometheus to scrape the control plane (${output.slice(-500)})`, 50_000);
  }, 60_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await plane?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads a Handoff metric as Prometheus scraped it, the same number the control plane exposes", async () => {
    const exposed = Number(/^handoff_http_in_flight_limit (\S+)$/m.exec(await (await fetch(`${plane.cp.url}/metrics`)).text())?.[1]);
    expect(exposed).toBeGreaterThan(0);
    const r = await runPrometheusQuery(query({ query: 'handoff_http_in_flight_limit{job="handoff"}', max: exposed }), { address });
    expect(r).toMatchObject({ metric: 'prometheus.q', verdict: 'pass', canary: { n: 1, value: exposed } });
  });

  it('fails a value above its maximum and one below its minimum', async () => {
    const over = await runPrometheusQuery(query({ name: 'limit', query: 'sum(handoff_http_in_flight_limit)', max: 1 }), { address });
    expect(over.verdict).toBe('fail');
    expect(over.reason).toMatch(/^prometheus\.limit is \d+, above the maximum 1 \(`sum\(handoff_http_in_flight_limit\)`\)\.$/);
    const under = await runPrometheusQuery(query({ query: 'up{job="handoff"}', min: 2, max: undefined }), { address });
    expect(under.verdict).toBe('fail');
    expect(under.reason).toMatch(/is 1, below the minimum 2/);
  });

  it('judges a scalar result', async () => {
    const r = await runPrometheusQuery(query({ query: 'scalar(up{job="handoff"}) * 2', min: 2, max: 2 }), { address });
    expect(r).toMatchObject({ verdict: 'pass', canary: { value: 2 } });
  });

  it('is inconclusive, never a pass, when the query returns no data, several series, or an error', async () => {
    const empty = await runPrometheusQuery(query({ query: 'handoff_no_such_metric' }), { address });
    expect(empty).toMatchObject({ verdict: 'inconclusive', canary: { n: 0, value: null } });
    expect(empty.reason).toMatch(/returned no data/);
    const many = await runPrometheusQuery(query({ query: '{job="handoff", __name__=~"handoff_process_.+"}' }), { address });
    expect(many.verdict).toBe('inconclusive');
    expect(many.reason).toMatch(/returned \d+ series; it must return one/);
    const bad = await runPrometheusQuery(query({ query: 'sum(' }), { address });
    expect(bad.verdict).toBe('inconclusive');
    expect(bad.reason).toMatch(/answered 400 bad_data: .*parse error/);
  });

  it('is inconclusive when Prometheus cannot be reached', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const r = await runPrometheusQuery(query({ query: 'up', address: closed }), { address });
    expect(r.verdict).toBe('inconclusive');
    expect(r.reason).toMatch(/could not be queried: .*ECONNREFUSED/);
    expect((await runPrometheusQuery(query({ query: 'up' }))).reason).toMatch(/no Prometheus address is configured/);
  });
});
