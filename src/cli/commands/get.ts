import { defineCommand, ExitCodes, printResult, type Parsed } from '../command.js';
import type { Query } from '../client.js';
import type { ClusterView } from '../../cluster/model.js';
import { isListResource, ListResources, renderCluster, renderList, type ListResource } from '../lists.js';
import { parsePositiveInt } from '../parse.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';
import type { ListView } from '../views.js';

export const getUsage = `Usage: handoff get <${ListResources.join('|')}> [--fleet F] [--all] [--limit N]

List what the control plane knows. \`get cluster\` shows the replicas sharing a PostgreSQL
store, which one leads and its lease's fencing epoch.

  --fleet F    only this fleet's servers, sessions, rollouts or events
  --all        servers: include stopped and crashed ones; sessions: include closed ones
  --limit N    at most N items (server default 100)
  --json       print the API response instead of a table`;

export interface GetInput {
  resource: ListResource;
  path: string;
  query: Query;
}

/** Turns `get` flags into the list request: `servers` hides stopped ones and `sessions` closed ones unless `--all`. */
export function parseGet(args: readonly string[]): Parsed<GetInput> {
  const { values, positionals } = parseCommandArgs('get', args, {
    fleet: { type: 'string' },
    all: { type: 'boolean' },
    limit: { type: 'string' },
  });
  if (values.help) return { global: values, help: true };
  const [resource = ''] = expectPositionals('get', positionals, ['RESOURCE']);
  if (!isListResource(resource)) {
    throw new UsageError(`unknown resource "${resource}" (one of ${ListResources.join(', ')})`, 'get');
  }
  if (values.all && resource !== 'servers' && resource !== 'sessions') {
    throw new UsageError('--all applies to servers and sessions only', 'get');
  }
  if (resource === 'hosts' && (values.fleet !== undefined || values.limit !== undefined)) {
    throw new UsageError('get hosts takes no --fleet or --limit', 'get');
  }
  const query: Query = {
    fleet: values.fleet,
    limit: values.limit === undefined ? undefined : parsePositiveInt('--limit', values.limit),
  };
  if (resource === 'servers' && values.all) query.all = true;
  if (resource === 'sessions' && !values.all) query.open = true;
  return { global: values, help: false, input: { resource, path: `/v1/${resource}`, query } };
}

export const getCommand = defineCommand({
  usage: getUsage,
  parse: parseGet,
  async execute(input, session) {
    if (input.resource === 'cluster') {
      const res = await session.api.get<ClusterView>(input.path, {});
      printResult(session, res.text, () => renderCluster(res.data, session.io.now()));
      return ExitCodes.ok;
    }
    const res = await session.api.get<ListView<unknown>>(input.path, input.query);
    printResult(session, res.text, () => renderList(input.resource, res.data.items, session.io.now()));
    return ExitCodes.ok;
  },
});
