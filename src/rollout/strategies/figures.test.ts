import { describe, expect, it } from 'vitest';
import { variantFigures, type FigureSession } from './figures.js';

const T0 = 1_000_000;
const closed = (build: string, openedAt: number, lengthS: number, closeReason: FigureSession['closeReason'] = 'ended'): FigureSession => ({
  build, openedAt, connectedAt: openedAt + 1000, closedAt: openedAt + 1000 + lengthS * 1000, closeReason,
});
const open = (build: string, openedAt: number): FigureSession => ({ build, openedAt, connectedAt: openedAt + 1000, closedAt: null, closeReason: null });
const window = { since: T0, until: null, variants: [{ name: 'A', build: 'v1' }, { name: 'B', build: 'v2' }] };

describe('variantFigures', () => {
  it('counts each variant\'s sessions, their lengths from connect to close, and abnormal closes', () => {
    const sessions = [
      closed('v1', T0, 10), closed('v1', T0 + 1, 20), closed('v1', T0 + 2, 60, 'disconnected'), open('v1', T0 + 3),
      closed('v2', T0, 30, 'server_crashed'), closed('v2', T0 + 1, 40, 'api'),
    ];
    expect(variantFigures(sessions, window, T0 + 10_000)).toEqual([
      { name: 'A', build: 'v1', sessions: 4, open: 1, meanSeconds: 30, medianSeconds: 20, abnormalCloses: 1, closeReasons: { ended: 2, disconnected: 1 } },
      { name: 'B', build: 'v2', sessions: 2, open: 0, meanSeconds: 35, medianSeconds: 35, abnormalCloses: 1, closeReasons: { server_crashed: 1, api: 1 } },
    ]);
  });

  it.each([
    ['opened before the release', closed('v1', T0 - 1, 10)],
    ['opened after the window closed', closed('v1', T0 + 5_000, 10)],
    ['of a build that is not a variant', closed('v9', T0, 10)],
  ])('leaves out a session %s', (_what, session) => {
    const [a] = variantFigures([session], { ...window, until: T0 + 5_000 }, T0 + 10_000);
    expect(a?.sessions).toBe(0);
  });

  it('counts a reservation that never connected as a session without a length', () => {
    const expired: FigureSession = { build: 'v2', openedAt: T0, connectedAt: null, closedAt: T0 + 30_000, closeReason: 'expired' };
    expect(variantFigures([expired], window, T0 + 60_000)[1]).toMatchObject({ sessions: 1, meanSeconds: null, medianSeconds: null, abnormalCloses: 0 });
  });
});
