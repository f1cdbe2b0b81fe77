import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorResponse } from '../api/http-errors.js';
import { HandoffError, isHandoffError } from '../core/errors.js';
import type { SdkBackend } from './backend.js';
import { readJsonBody } from './json-body.js';
import { SDK_PREFIX } from './protocol.js';
import { CapacitySchema, RosterSchema, SessionEndedSchema, SessionStartedSchema } from './schemas.js';
import type { WatchStreams } from './watch-streams.js';

type Env = { Variables: { serverId: string } };
type Handler = (c: Context<Env>, serverId: string) => Promise<Response> | Response;
type Method = 'GET' | 'POST' | 'PUT';

export interface SdkAppDeps {
  backend: SdkBackend;
  watches: WatchStreams;
  /** True once the endpoint is closing: responses then ask the client to drop the connection. */
  isClosing: () => boolean;
  /** Called with anything thrown that is not a HandoffError (a bug or an outage behind the backend). */
  onUnexpectedError: (e: unknown) => void;
}

/** The SDK routes of protocol.ts as a Hono app. Listening is `SdkEndpoint`'s job. */
export function createSdkApp(deps: SdkAppDeps): Hono<Env> {
  const { backend, watches } = deps;
  const app = new Hono<Env>();

  const fail = (c: Context<Env>, e: unknown) => {
    if (!isHandoffError(e)) deps.onUnexpectedError(e);
    const { status, body } = errorResponse(e);
    return c.json(body, status as ContentfulStatusCode);
  };
  app.onError((e, c) => fail(c, e));
  app.notFound((c) => fail(c, new HandoffError('ROUTE_NOT_FOUND')));

  app.use('*', async (c, next) => {
    await next();
    // Keep-alive sockets would otherwise idle until their timeout and hold up close().
    if (deps.isClosing()) c.header('connection', 'close');
  });

  app.use(`${SDK_PREFIX}/*`, async (c, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    const serverId = match?.[1] === undefined ? undefined : backend.authenticate(match[1]);
    if (serverId === undefined) throw new HandoffError('SDK_UNAUTHORIZED');
    c.set('serverId', serverId);
    await next();
  });

  const routes: Array<[Method, string, Handler]> = [
    ['POST', '/ready', async (c, id) => {
      await backend.ready(id);
      return c.body(null, 204);
    }],
    ['POST', '/health', (c, id) => {
      backend.health(id);
      return c.body(null, 204);
    }],
    ['POST', '/sessions/started', async (c, id) => {
      const { playerId, joinToken } = await readJsonBody(c.req.raw, SessionStartedSchema);
      return c.json(await backend.sessionStarted(id, playerId, joinToken));
    }],
    ['POST', '/sessions/ended', async (c, id) => {
      const { playerId, reason, sessionId } = await readJsonBody(c.req.raw, SessionEndedSchema);
      await backend.sessionEnded(id, playerId, reason, sessionId);
      return c.body(null, 204);
    }],
    ['PUT', '/capacity', async (c, id) => {
      const { capacity } = await readJsonBody(c.req.raw, CapacitySchema);
      await backend.setCapacity(id, capacity);
      return c.body(null, 204);
    }],
    ['PUT', '/roster', async (c, id) => {
      const { players, sessions } = await readJsonBody(c.req.raw, RosterSchema);
      await backend.reportRoster(id, players, sessions);
      return c.body(null, 204);
    }],
    ['POST', '/shutdown', async (c, id) => {
      await backend.requestShutdown(id);
      return c.body(null, 204);
    }],
    ['GET', '/self', (c, id) => c.json(backend.self(id))],
    ['GET', '/watch', (_c, id) => watches.open((listener) => backend.subscribe(id, listener))],
  ];

  for (const [method, path, handler] of routes) {
    app.on(method, SDK_PREFIX + path, (c) => handler(c, c.get('serverId')));
  }
  // Registered after every real route, so these only match a known path with the wrong method.
  for (const path of new Set(routes.map(([, path]) => path))) {
    app.all(SDK_PREFIX + path, () => {
      throw new HandoffError('METHOD_NOT_ALLOWED');
    });
  }
  return app;
}
