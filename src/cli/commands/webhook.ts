/**
 * `handoff webhook list|create|delete|deliveries`: subscriptions to release events and their
 * delivery log (docs/notifications.md).
 */
import { NotificationEvents, WebhookFormats } from '../../notify/model.js';
import { defineCommand, ExitCodes, printResult, type Parsed } from '../command.js';
import { renderDeliveries, renderWebhookList } from '../env-render.js';
import { parsePositiveInt } from '../parse.js';
import { expectPositionals, parseCommandArgs, UsageError } from '../usage.js';
import type { DeliveryView, ListView, WebhookView } from '../views.js';

export const webhookUsage = `Usage: handoff webhook <list|create|delete|deliveries> [NAME] [flags]

  list                              webhooks (secrets are never shown)
  create NAME --url URL [flags]     create or update a webhook (see: handoff webhook create --help)
  delete NAME                       delete a webhook (its delivery log stays)
  deliveries NAME [--limit N]       its delivery log, newest first, with attempts`;

const Usages = {
  list: 'Usage: handoff webhook list\n\nList webhooks.',
  create: `Usage: handoff webhook create NAME --url URL [--events E,E] [--format json|slack]

Create webhook NAME, or update it. Each release event it subscribes to is POSTed to URL,
signed with HMAC-SHA256 (header Handoff-Signature: t=<ms>,v1=<hex> over "<t>.<body>") and
retried with back-off until it answers 2xx.

  --url URL        where to POST (http or https)
  --secret S       the signing secret, at least 16 characters (default: env HANDOFF_WEBHOOK_SECRET,
                   which keeps it out of the process list and shell history)
  --events E,E     ${NotificationEvents.join(', ')} (default: all)
  --format F       json (default) or slack (a Slack incoming-webhook body: text and blocks)`,
  delete: 'Usage: handoff webhook delete NAME\n\nDelete webhook NAME. Pending deliveries to it fail; its delivery log stays.',
  deliveries: "Usage: handoff webhook deliveries NAME [--limit N]\n\nWebhook NAME's delivery log, newest first: event, state, attempts, the last answer, the next retry.",
} as const;

type Sub = keyof typeof Usages;

export interface WebhookInput {
  sub: Sub;
  name: string;
  /** `secret` undefined: taken from HANDOFF_WEBHOOK_SECRET when the command runs. */
  body?: { url: string; secret: string | undefined; events: string[]; format: string };
  limit?: number;
}

export function parseWebhook(sub: Sub, args: readonly string[]): Parsed<WebhookInput> {
  const cmd = `webhook ${sub}`;
  const { values, positionals } = parseCommandArgs(cmd, args, {
    url: { type: 'string' }, secret: { type: 'string' }, events: { type: 'string' }, format: { type: 'string' }, limit: { type: 'string' },
  });
  if (values.help) return { global: values, help: true };
  const allowed: Record<Sub, string[]> = { list: [], create: ['url', 'secret', 'events', 'format'], delete: [], deliveries: ['limit'] };
  for (const flag of ['url', 'secret', 'events', 'format', 'limit'] as const) {
    if (values[flag] !== undefined && !allowed[sub].includes(flag)) throw new UsageError(`--${flag} does not apply to webhook ${sub}`, cmd);
  }
  const [name = ''] = expectPositionals(cmd, positionals, sub === 'list' ? [] : ['NAME']);
  const input: WebhookInput = { sub, name };
  if (sub === 'create') {
    if (values.url === undefined) throw new UsageError('--url URL is required', cmd);
    const events = values.events === undefined ? [] : values.events.split(',').map((e) => e.trim()).filter((e) => e !== '');
    const unknown = events.find((e) => !(NotificationEvents as readonly string[]).includes(e));
    if (unknown !== undefined) throw new UsageError(`--events: unknown event "${unknown}" (one of ${NotificationEvents.join(', ')})`, cmd);
    const format = values.format ?? 'json';
    if (!(WebhookFormats as readonly string[]).includes(format)) throw new UsageError(`--format: one of ${WebhookFormats.join(', ')}`, cmd);
    input.body = { url: values.url, secret: values.secret, events, format };
  }
  if (values.limit !== undefined) input.limit = parsePositiveInt('--limit', values.limit);
  return { global: values, help: false, input };
}

const path = (name: string, rest = '') => `/v1/webhooks/${encodeURIComponent(name)}${rest}`;

function webhookCommand(sub: Sub) {
  return defineCommand({
    usage: Usages[sub],
    parse: (args) => parseWebhook(sub, args),
    async execute(input, session) {
      const { api, io } = session;
      if (input.sub === 'list') {
        const res = await api.get<ListView<WebhookView>>('/v1/webhooks');
        printResult(session, res.text, () => renderWebhookList(res.data.items, io.now()));
      } else if (input.sub === 'create') {
        const secret = input.body?.secret ?? io.env.HANDOFF_WEBHOOK_SECRET;
        if (secret === undefined || secret === '') throw new UsageError('--secret S (or env HANDOFF_WEBHOOK_SECRET) is required', 'webhook create');
        const res = await api.request<{ name: string; result: string }>('PUT', path(input.name), {}, { ...input.body, secret });
        printResult(session, res.text, () => `webhook/${res.data.name} ${res.data.result}`);
      } else if (input.sub === 'delete') {
        const res = await api.request<WebhookView>('DELETE', path(input.name), {}, undefined);
        printResult(session, res.text, () => `webhook/${res.data.name} deleted`);
      } else {
        const res = await api.get<ListView<DeliveryView>>(path(input.name, '/deliveries'), { limit: input.limit });
        printResult(session, res.text, () => renderDeliveries(res.data.items));
      }
      return ExitCodes.ok;
    },
  });
}

export const webhookCommands = Object.fromEntries((Object.keys(Usages) as Sub[]).map((s) => [`webhook ${s}`, webhookCommand(s)]));
