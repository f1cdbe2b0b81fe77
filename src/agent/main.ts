/** `handoff agent`: runs one host's game servers for a control plane, in the foreground until SIGINT/SIGTERM. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { HOST_ID_PATTERN, type HostRegistration } from '../hosts/model.js';
import { Agent, type AgentOptions } from './agent.js';

export const AGENT_HELP = `Usage: handoff agent --control-plane URL[,URL…] --host-id ID --zone Z --region R
                     --public-address ADDR --port-range A-B --slots N [options]

Runs this host's game servers for the control plane (see docs/hosts.md). Connects out to the
control plane with this host's token; game servers here use the SDK endpoint it serves on
loopback. Game servers keep running when the agent stops; a restarted agent re-adopts them.

Options:
  --control-plane URLS    the control plane's API URL(s), comma-separated (replicas)
  --host-id ID            this host's id (letters, digits, . _ -)
  --zone Z                failure zone (placement spreads a fleet across zones)
  --region R              region (allocation may prefer regions)
  --public-address ADDR   address game servers bind to and players are sent to
  --port-range A-B        ports handed to game servers on this host
  --slots N               game servers this host may run at once
  --cpu MILLICORES        cpu this host offers to game servers (default: not limited)
  --memory MB             memory this host offers to game servers (default: not limited)
  --token TOKEN           this host's token (env HANDOFF_AGENT_TOKEN); from
                          \`handoff host token ID\` on the control plane
  --data-dir DIR          game-server logs and the agent's record of them (default ./.handoff-agent)
  --sdk-port N            loopback port of the SDK endpoint for game servers (default 7351)
  --heartbeat-ms N        interval of heartbeats to the control plane (default 2000)
  -h, --help
`;

export function parseAgentArgs(argv: string[], env: NodeJS.ProcessEnv): { options: AgentOptions; help: boolean } | { help: true } {
  const { values } = parseArgs({
    args: argv,
    options: {
      'control-plane': { type: 'string' }, 'host-id': { type: 'string' }, zone: { type: 'string' }, region: { type: 'string' },
      'public-address': { type: 'string' }, 'port-range': { type: 'string' }, slots: { type: 'string' }, cpu: { type: 'string' },
      memory: { type: 'string' }, token: { type: 'string' }, 'data-dir': { type: 'string' }, 'sdk-port': { type: 'string' },
      'heartbeat-ms': { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  const need = (k: 'control-plane' | 'host-id' | 'zone' | 'region' | 'public-address' | 'port-range' | 'slots'): string => {
    const v = values[k];
    if (!v) throw new RangeError(`--${k} is required`);
    return v;
  };
  const controlPlanes = need('control-plane').split(',').map((u) => u.trim()).filter(Boolean);
  for (const u of controlPlanes) if (!/^https?:\/\/[^/\s]+\/?$/i.test(u)) throw new RangeError(`--control-plane must be http(s)://host:port URLs, got ${u}`);
  const id = need('host-id');
  if (!HOST_ID_PATTERN.test(id)) throw new RangeError('--host-id must be letters, digits, . _ - (at most 63)');
  const range = /^(\d+)-(\d+)$/.exec(need('port-range'));
  if (!range) throw new RangeError('--port-range must look like 7400-7999');
  const token = values.token ?? env.HANDOFF_AGENT_TOKEN;
  if (!token) throw new RangeError('--token (or HANDOFF_AGENT_TOKEN) is required');
  const host: HostRegistration = {
    id, zone: need('zone'), region: need('region'), publicAddress: need('public-address'),
    portRange: { from: Number(range[1]), to: Number(range[2]) },
    capacity: { slots: whole(need('slots'), '--slots'), cpuMillis: values.cpu ? whole(values.cpu, '--cpu') : null, memoryMb: values.memory ? whole(values.memory, '--memory') : null },
  };
  return {
    help: false,
    options: {
      controlPlanes, host, token,
      dataDir: path.resolve(values['data-dir'] ?? '.handoff-agent'),
      sdkPort: values['sdk-port'] ? whole(values['sdk-port'], '--sdk-port') : 7351,
      ...(values['heartbeat-ms'] ? { heartbeatMs: Math.max(1, whole(values['heartbeat-ms'], '--heartbeat-ms')) } : {}),
    },
  };
}

function whole(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${flag} must be a whole number`);
  return n;
}

/** Runs until SIGINT/SIGTERM; resolves to the exit status (2: bad flags, 1: could not start). */
export async function runAgentCommand(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseAgentArgs>;
  try {
    parsed = parseAgentArgs(argv, process.env);
  } catch (e) {
    process.stderr.write(`handoff agent: ${e instanceof Error ? e.message : String(e)}\n${AGENT_HELP}`);
    return 2;
  }
  if (!('options' in parsed)) {
    process.stdout.write(AGENT_HELP);
    return 0;
  }
  let agent: Agent;
  try {
    agent = await Agent.start(parsed.options);
  } catch (e) {
    process.stderr.write(`handoff agent: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  process.stdout.write(`handoff agent ${parsed.options.host.id} running (SDK ${agent.sdkUrl}, control plane ${parsed.options.controlPlanes.join(', ')})\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`${signal}: agent stopping; game servers keep running\n`);
      void agent.close().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
