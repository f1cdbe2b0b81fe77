import { defineCommand, ExitCodes, printResult, type Parsed } from '../command.js';
import { parseDurationMs } from '../parse.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';

export const notifyUsage = `Usage: handoff notify FLEET --message TEXT [--in DURATION]

Send a maintenance notice to every running game server of FLEET through the SDK; the game
decides how to show it to players (the Arena example broadcasts it).

  --message TEXT   what players should read (required)
  --in DURATION    when the maintenance starts, from now (e.g. 30m); omitted: unknown
  --json           print the API response`;

export interface NotifyInput {
  fleet: string;
  body: { message: string; startsAt?: number };
}

export function parseNotify(args: readonly string[], now: () => number = Date.now): Parsed<NotifyInput> {
  const { values, positionals } = parseCommandArgs('notify', args, {
    message: { type: 'string' },
    in: { type: 'string' },
  });
  if (values.help) return { global: values, help: true };
  const [fleet = ''] = expectPositionals('notify', positionals, ['FLEET']);
  if (!values.message) throw new UsageError('--message TEXT is required', 'notify');
  const body: NotifyInput['body'] = { message: values.message };
  if (values.in !== undefined) body.startsAt = now() + parseDurationMs('--in', values.in);
  return { global: values, help: false, input: { fleet, body } };
}

export const notifyCommand = defineCommand({
  usage: notifyUsage,
  parse: (args) => parseNotify(args),
  async execute(input, session) {
    const res = await session.api.post<{ servers: number }>(`/v1/fleets/${encodeURIComponent(input.fleet)}/notices`, input.body);
    printResult(session, res.text, () => `maintenance notice sent to ${res.data.servers} servers of ${input.fleet}`);
    return ExitCodes.ok;
  },
});
