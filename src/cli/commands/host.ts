import { defineCommand, ExitCodes, printResult, type Command, type Parsed } from '../command.js';
import { expectPositionals, parseCommandArgs } from '../usage.js';
import type { HostView } from '../views.js';

export const hostUsage = `Usage: handoff host <cordon|drain|uncordon|token> HOST

Host maintenance (docs/hosts.md):
  cordon HOST     no new game servers on HOST; what runs there keeps running
  drain HOST      no new servers or sessions on HOST; its sessions finish, replacements
                  start elsewhere, and \`handoff get hosts\` shows it empty when safe to reboot
  uncordon HOST   HOST takes new game servers again
  token HOST      print the token \`handoff agent --host-id HOST\` authenticates with

  --json          print the API response`;

type Action = 'cordon' | 'drain' | 'uncordon' | 'token';

function parseHost(action: Action, args: readonly string[]): Parsed<{ host: string }> {
  const { values, positionals } = parseCommandArgs(`host ${action}`, args, {});
  if (values.help) return { global: values, help: true };
  const [host = ''] = expectPositionals(`host ${action}`, positionals, ['HOST']);
  return { global: values, help: false, input: { host } };
}

function hostCommand(action: Action): Command {
  return defineCommand({
    usage: hostUsage,
    parse: (args) => parseHost(action, args),
    async execute(input, session) {
      const path = `/v1/hosts/${encodeURIComponent(input.host)}/${action}`;
      if (action === 'token') {
        const res = await session.api.post<{ token: string }>(path, {});
        printResult(session, res.text, () => res.data.token);
        return ExitCodes.ok;
      }
      const res = await session.api.post<HostView>(path, {});
      const h = res.data;
      const left = h.servers.length === 0 ? 'no game servers left' : `${h.servers.length} game servers left`;
      printResult(session, res.text, () => `host ${h.id} is ${h.state}${h.schedule === 'Draining' ? (h.empty ? ': empty, safe to reboot' : `: ${left}`) : ''}`);
      return ExitCodes.ok;
    },
  });
}

export const hostCommands: Readonly<Record<string, Command>> = {
  'host cordon': hostCommand('cordon'),
  'host drain': hostCommand('drain'),
  'host uncordon': hostCommand('uncordon'),
  'host token': hostCommand('token'),
};
