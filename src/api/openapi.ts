/** The OpenAPI 3.1 document, generated from the same route declarations the app serves. */
import { z } from 'zod';
import { ErrorCatalogue } from '../core/errors.js';
import type { RouteDef } from '../http/route.js';
import { ErrorBodySchema } from './schemas.js';

export function openApiDocument(routes: readonly RouteDef[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const m of r.path.matchAll(/\{([^}]+)\}/g)) {
      parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'string' } });
    }
    if (r.query) {
      const schema = z.toJSONSchema(r.query, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, s] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
      }
    }
    const responses: Record<string, unknown> = {
      [String(r.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } },
    };
    for (const code of r.errors) {
      const status = String(ErrorCatalogue[code].status);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing ? `${existing.description}, ${code}` : code,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    (paths[r.path] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      'x-handoff-role': r.role,
      parameters,
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Handoff control plane', version, description: 'Zero-downtime, session-aware releases for dedicated game-server fleets.' },
    paths,
    components: { schemas: { Error: jsonSchema(ErrorBodySchema, 'output') } },
  };
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
