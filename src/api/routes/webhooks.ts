import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import { defineRoute, type RouteDef } from '../../http/route.js';
import type { Webhook } from '../../notify/model.js';
import { ListQuerySchema, NameParamsSchema, listOf } from '../schemas.js';
import { DeliveryViewSchema, WebhookInputSchema, WebhookViewSchema } from '../env-schemas.js';

/** The secret is write-only: it signs bodies and is never sent back. */
function view({ secret: _secret, ...rest }: Webhook): Omit<Webhook, 'secret'> {
  return rest;
}

/** `/v1/webhooks`: subscriptions to release events and their delivery log (docs/notifications.md). */
export function webhookRoutes(d: ApiDeps): RouteDef[] {
  const n = d.notifier;
  return [
    defineRoute({
      method: 'get', path: '/v1/webhooks', tag: 'webhooks', role: 'viewer', summary: 'List webhooks (secrets are never shown)',
      query: ListQuerySchema, response: listOf(WebhookViewSchema), errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: ({ query }) => ({ items: n.list().slice(0, query.limit).map(view) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/webhooks/{name}', tag: 'webhooks', role: 'viewer', summary: 'Get a webhook',
      params: NameParamsSchema, response: WebhookViewSchema, errors: ['WEBHOOK_NOT_FOUND'],
      handler: ({ params }) => view(n.get(params.name)),
    }),
    defineRoute({
      method: 'put', path: '/v1/webhooks/{name}', tag: 'webhooks', role: 'admin', summary: 'Create or update a webhook',
      params: NameParamsSchema, body: WebhookInputSchema.omit({ name: true }),
      response: z.object({ name: z.string(), result: z.enum(['created', 'updated', 'unchanged']) }),
      errors: ['VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ params, body }) => {
        const [result] = await n.apply([{ ...body, name: params.name }]);
        return result ?? { name: params.name, result: 'unchanged' as const };
      },
    }),
    defineRoute({
      method: 'delete', path: '/v1/webhooks/{name}', tag: 'webhooks', role: 'admin', summary: 'Delete a webhook (its delivery log stays)',
      params: NameParamsSchema, response: WebhookViewSchema, errors: ['WEBHOOK_NOT_FOUND'],
      handler: async ({ params }) => {
        const hook = n.get(params.name);
        await n.remove(params.name);
        return view(hook);
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/webhooks/{name}/deliveries', tag: 'webhooks', role: 'viewer', summary: "A webhook's delivery log, newest first, with every attempt",
      params: NameParamsSchema, query: ListQuerySchema, response: listOf(DeliveryViewSchema), errors: ['WEBHOOK_NOT_FOUND', 'VALIDATION_FAILED', 'UNKNOWN_FIELD'],
      handler: async ({ params, query }) => ({ items: await n.deliveries(params.name, query.limit) }),
    }),
  ];
}
