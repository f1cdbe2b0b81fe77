/**
 * `handoff chaos run FILE` runs a chaos experiment (docs/chaos.md); `handoff chaos proxy` is the
 * fault-injecting TCP proxy a control plane's `--store` URL can point at, so that experiments
 * can slow or cut its database traffic.
 */
import { writeFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { faultFor } from '../../chaos/faults/registry.js';
import { FaultProxy, type HostPort } from '../../chaos/proxy.js';
import { renderReport } from '../../chaos/report.js';
import { runExperiment } from '../../chaos/runner.js';
import { compileExperiment } from '../../chaos/spec.js';
import { HandoffError } from '../../core/errors.js';
import { runLoadtest } from '../loadtest/driver.js';
import { defineCommand, ExitCodes, type ExitCode, type Session } from '../command.js';
import { expectPositionals, parseCommandArgs, resolveServerUrl, UsageError } from '../usage.js';
import { chaosApi } from './chaos-api.js';

export const chaosUsage = `Usage: handoff chaos <command>

  run FILE       run a chaos experiment (kind: ChaosExperiment): baseline, inject, observe,
                 restore, report; aborts itself the moment the hypothesis breaks
  proxy          a fault-injecting TCP proxy between a control plane and its database

See docs/chaos.md.`;

export const chaosRunUsage = `Usage: handoff chaos run FILE [--url URL[,URL...]] [--report FILE] [--json]

Runs the experiment in FILE: offers allocations (open loop) to measure the steady state,
injects the fault, judges the hypothesis every 100 ms, lifts the fault when its duration is up
or the moment the hypothesis breaks, measures again and reports baseline vs during vs after.
Each step is recorded in the control plane's event log (chaos.* events). Ctrl-C lifts the fault.

  --url URL[,URL...]   the control plane's replicas: allocations go to each in turn, API calls
                       to the first that answers (default: --server, HANDOFF_URL)
  --report FILE        also write the report as JSON to FILE
  --json               print the report as JSON

Exit code 0 when the hypothesis held, 1 when it broke or the run aborted, 2 for an invalid
experiment (CHAOS_EXPERIMENT_INVALID) or usage.`;

export const chaosProxyUsage = `Usage: handoff chaos proxy --listen HOST:PORT --target HOST:PORT --control HOST:PORT

Forwards TCP from --listen to --target (e.g. PostgreSQL), with faults switched through HTTP on
--control: PUT /fault {"latencyMs": 200, "drop": false}; GET /fault shows them. Point the
control plane's --store URL at --listen and the experiment's fault.control at --control.
Runs until SIGINT or SIGTERM.`;

interface RunInput { file: string; urls: string[] | null; report: string | null }

function hostPort(flag: string, v: string | undefined): HostPort {
  const m = v === undefined ? null : /^(.+):(\d{1,5})$/.exec(v);
  if (!m?.[1] || !m[2] || Number(m[2]) > 65_535) throw new UsageError(`${flag} must be HOST:PORT`, 'chaos proxy');
  return { host: m[1], port: Number(m[2]) };
}

async function execute(input: RunInput, session: Session): Promise<ExitCode> {
  const { io } = session;
  let exp;
  try {
    const docs = parseAllDocuments(await io.readFile(input.file));
    const first = docs[0];
    if (docs.length !== 1 || !first || first.errors.length > 0) throw new HandoffError('CHAOS_EXPERIMENT_INVALID', `${input.file}: one YAML document expected${first?.errors[0] ? `: ${first.errors[0].message.split('\n')[0] ?? ''}` : ''}`);
    exp = compileExperiment(first.toJS());
  } catch (e) {
    if (!(e instanceof HandoffError)) throw e;
    return fail(session, e, ExitCodes.usage);
  }
  const urls = input.urls ?? [session.api.baseUrl];
  const api = chaosApi(urls);
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort();
  process.once('SIGINT', onSigint);
  try {
    const report = await runExperiment(exp, {
      api,
      fault: faultFor(exp, { api, kill: (pid, sig) => void process.kill(pid, sig) }),
      startLoad: (onAnswer) => {
        const stop = new AbortController();
        const done = runLoadtest({
          urls, fleet: exp.load.fleet, ratePerS: exp.load.ratePerS, durationMs: 24 * 3_600_000, connections: 64,
          playerPrefix: `chaos-${exp.name}-${io.now().toString(36)}`, timeoutMs: exp.load.timeoutMs, onAnswer, signal: stop.signal,
        });
        return { stop: async () => { stop.abort(); await done; } };
      },
      now: () => io.now(),
      sleep: (ms) => io.sleep(ms),
      log: (line) => { if (!session.json) io.err(line); },
      interrupt: interrupt.signal,
    });
    if (input.report !== null) await writeFile(input.report, `${JSON.stringify(report, null, 2)}\n`);
    io.out(session.json ? JSON.stringify(report) : renderReport(report));
    return report.verdict.verdict === 'held' ? ExitCodes.ok : ExitCodes.apiError;
  } catch (e) {
    if (e instanceof HandoffError) return fail(session, e, ExitCodes.apiError);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function fail(session: Session, e: HandoffError, code: ExitCode): ExitCode {
  if (session.json) session.io.out(JSON.stringify({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } }));
  else session.io.err(`error ${e.code}: ${e.message}`);
  return code;
}

export const chaosRunCommand = defineCommand<RunInput>({
  usage: chaosRunUsage,
  parse(args) {
    const { values, positionals } = parseCommandArgs('chaos run', args, { url: { type: 'string' }, report: { type: 'string' } });
    if (values.help) return { global: values, help: true };
    expectPositionals('chaos run', positionals, ['FILE']);
    const urls = values.url === undefined ? null : values.url.split(',').map((u) => u.trim()).filter((u) => u !== '');
    if (urls !== null) {
      if (urls.length === 0) throw new UsageError('--url: no URL given', 'chaos run');
      for (const u of urls) resolveServerUrl([{ server: u }], {});
    }
    return { global: values, help: false, input: { file: positionals[0] as string, urls, report: values.report ?? null } };
  },
  execute,
});

export const chaosProxyCommand = defineCommand<{ listen: HostPort; target: HostPort; control: HostPort }>({
  usage: chaosProxyUsage,
  parse(args) {
    const { values, positionals } = parseCommandArgs('chaos proxy', args, { listen: { type: 'string' }, target: { type: 'string' }, control: { type: 'string' } });
    if (values.help) return { global: values, help: true };
    expectPositionals('chaos proxy', positionals, []);
    return { global: values, help: false, input: { listen: hostPort('--listen', values.listen), target: hostPort('--target', values.target), control: hostPort('--control', values.control) } };
  },
  async execute(input, session) {
    const proxy = await FaultProxy.start(input.listen, input.target, input.control);
    const a = proxy.address;
    session.io.out(`handoff chaos proxy listening on ${a.host}:${a.port} → ${input.target.host}:${input.target.port} (control ${proxy.controlUrl}/fault)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await proxy.close();
    return ExitCodes.ok;
  },
});
