import { defineCommand, ExitCodes, printResult, type Parsed } from '../command.js';
import { parseKeyValues } from '../parse.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';
import type { AllocationView } from '../views.js';
import type { AllocationRequest } from '../../client/allocation-client.js';

export const allocateUsage = `Usage: handoff allocate FLEET --player ID [flags]

Place a player on a game server of FLEET, as a matchmaker would, and print where to connect.
A player who already has an open session gets it back (reconnect).

  --player ID             player id (required)
  --party P               keep a party together on one server
  --client-version V      the client's version; only builds accepting it are eligible
  --region R[,R…]         preferred regions, most preferred first: servers there first,
                          then anywhere (unless --region-fallback none). The first is
                          also the player's region (cohort rules, a fleet's region)
  --zone Z[,Z…]           preferred zones, tried before the regions
  --region-fallback F     any (default): anywhere after the preferred ones; none: only them
  --attr K=V              a session attribute; repeatable
  --idempotency-key K     retrying with the same key returns the same allocation
  --migration-token T     the token a release's migration gave the player: lands them on
                          the new build, with their party
  --json                  print the API response`;

/** The API's allocation body (the public client's type), plus the CLI's idempotency key. */
export type AllocateInput = AllocationRequest & { idempotencyKey?: string };

/** Builds the `POST /v1/allocations` body, leaving out what was not given so server defaults apply. */
export function parseAllocate(args: readonly string[]): Parsed<AllocateInput> {
  const { values, positionals } = parseCommandArgs('allocate', args, {
    player: { type: 'string' },
    party: { type: 'string' },
    'client-version': { type: 'string' },
    region: { type: 'string', multiple: true },
    zone: { type: 'string', multiple: true },
    'region-fallback': { type: 'string' },
    attr: { type: 'string', multiple: true },
    'idempotency-key': { type: 'string' },
    'migration-token': { type: 'string' },
  });
  if (values.help) return { global: values, help: true };
  const [fleet = ''] = expectPositionals('allocate', positionals, ['FLEET']);
  if (!values.player) throw new UsageError('--player ID is required', 'allocate');
  const input: AllocateInput = { fleet, playerId: values.player };
  if (values.party !== undefined) input.partyId = values.party;
  if (values['client-version'] !== undefined) input.clientVersion = values['client-version'];
  const regions = locationList('--region', values.region);
  if (regions) {
    input.region = regions[0] as string;
    input.regions = regions;
  }
  const zones = locationList('--zone', values.zone);
  if (zones) input.zones = zones;
  const fallback = values['region-fallback'];
  if (fallback !== undefined) {
    if (fallback !== 'any' && fallback !== 'none') throw new UsageError('--region-fallback must be any or none', 'allocate');
    input.regionFallback = fallback;
  }
  if (values.attr?.length) input.attributes = parseKeyValues('--attr', values.attr);
  if (values['idempotency-key'] !== undefined) input.idempotencyKey = values['idempotency-key'];
  if (values['migration-token'] !== undefined) input.migrationToken = values['migration-token'];
  return { global: values, help: false, input };
}

/** `--region a,b --region c` → [a, b, c]; undefined when not given; blanks refused. */
function locationList(flag: string, values: readonly string[] | undefined): string[] | undefined {
  if (!values?.length) return undefined;
  const list = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  if (list.some((v) => v === '')) throw new UsageError(`${flag} takes names separated by commas, none empty`, 'allocate');
  return list;
}

export function renderAllocation(a: AllocationView): string {
  const ports = Object.entries(a.server.ports);
  const endpoints = ports.length
    ? ports.map(([name, port]) => `${a.server.address}:${port} (${name})`).join(', ')
    : a.server.address;
  return [
    `session  ${a.sessionId}${a.reconnected ? ' (reconnected to an open session)' : ''}`,
    `server   ${a.server.id}`,
    `connect  ${endpoints}`,
    `build    ${a.server.build} (version ${a.server.version})`,
    // Control planes before regions do not say.
    ...(a.server.region != null ? [`region   ${a.server.region}${a.server.zone != null ? ` (zone ${a.server.zone})` : ''}`] : []),
    `token    ${a.joinToken}`,
  ].join('\n');
}

export const allocateCommand = defineCommand({
  usage: allocateUsage,
  parse: parseAllocate,
  async execute(input, session) {
    const res = await session.api.post<AllocationView>('/v1/allocations', input);
    printResult(session, res.text, () => renderAllocation(res.data));
    return ExitCodes.ok;
  },
});
