/**
 * Switch latency: a steady stream of allocations runs while a blue-green rollout to a second
 * build provisions, becomes ready and switches. Every answer is recorded with its build, so
 * the bench sees the switch the way players do, and compares it with the rollout's own
 * timestamps. Both processes read the same machine clock: server times are Date.now() (ms),
 * client times performance.timeOrigin + performance.now().
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ControlPlaneChild } from './control-plane.js';
import { closedLoop, errorCode, type HttpClient } from './http-load.js';
import { roundSummary } from './measure.js';
import { round, summarizeLatencies, type LatencySummary } from './stats.js';

export interface SwitchSpec {
  fleet: string;
  fromBuild: string;
  toBuild: string;
  clients: number;
  playerPrefix: string;
  /** Stream time before the rollout starts and after the first new-build answer. */
  marginMs: number;
  /** Longest wait for the switch. */
  timeoutMs: number;
  /** Longest wait for the rollout to complete once the old build's sessions are gone. */
  retireTimeoutMs: number;
}

interface RolloutView {
  id: string;
  phase: string;
  message: string;
  createdAt: number;
  readyAt: number | null;
  switchedAt: number | null;
  completedAt: number | null;
}

interface Answer {
  sentAt: number;
  answeredAt: number;
  build: string | null;
  sessionId: string | null;
  error: string | null;
}

export interface SwitchResult {
  rolloutId: string;
  phase: string;
  rolloutCreatedAt: number;
  /** Rollout fields (server clock, ms epoch). */
  readyAt: number | null;
  switchedAt: number | null;
  /** When the last of the new build's servers reported Ready to the SDK (server clock). */
  lastNewServerReadyAt: number | null;
  firstNewBuildAnswerAt: number | null;
  /** openedAt (server clock) of the earliest of the first new-build sessions: when the allocator decided. */
  firstNewBuildDecidedAt: number | null;
  /** openedAt of the latest of the last old-build sessions. */
  lastOldBuildDecidedAt: number | null;
  provisioningMs: number | null;
  serversReadyToRolloutReadyMs: number | null;
  switchedMinusReadyMs: number | null;
  readyToFirstNewBuildAnswerMs: number | null;
  /** Time in which the allocator decided nothing: from its last old-build to its first new-build decision. */
  decisionGapMs: number | null;
  /** Of which: rollout readyAt to the allocator's first new-build decision, then decision to answer (commit + response). */
  readyToFirstNewBuildDecisionMs: number | null;
  firstNewBuildDecisionToAnswerMs: number | null;
  switchedToFirstNewBuildAnswerMs: number | null;
  stream: { clients: number; answers: number; oldBuild: number; newBuild: number; errors: Record<string, number>; perS: number; latency: LatencySummary };
  /** Old-build answers after the first new-build answer: by receipt, and for requests sent after it. */
  oldAfterFirstNew: { received: number; sentAfter: number };
  monotonic: boolean;
  /** The control plane's event log from the rollout's start, times relative to readyAt. */
  timeline: { atMs: number | null; kind: string; subject: string; message: string }[];
  /** After the stream: its sessions are deleted; does the rollout finish retiring the old build? */
  retire: { completed: boolean; phase: string; message: string; waitedMs: number };
}

const now = (): number => performance.timeOrigin + performance.now();

export async function runSwitch(cp: ControlPlaneChild, client: HttpClient, spec: SwitchSpec): Promise<SwitchResult> {
  const answers: Answer[] = [];
  const control = { stop: false, next: 0, sawNew: false };
  const worker = async (): Promise<void> => {
    while (!control.stop) {
      const i = control.next++;
      const sentAt = now();
      const body = `{"fleet":"${spec.fleet}","playerId":"${spec.playerPrefix}-${i}"}`;
      try {
        const reply = await client.send({ method: 'POST', path: '/v1/allocations', body });
        const ok = reply.status >= 200 && reply.status < 300;
        const parsed = ok ? (JSON.parse(reply.text) as { sessionId: string; server: { build: string } }) : null;
        answers.push({ sentAt, answeredAt: now(), build: parsed?.server.build ?? null, sessionId: parsed?.sessionId ?? null, error: ok ? null : errorCode(reply) });
        if (parsed?.server.build === spec.toBuild) control.sawNew = true;
      } catch (e) {
        answers.push({ sentAt, answeredAt: now(), build: null, sessionId: null, error: errorCode(e instanceof Error ? e : new Error(String(e))) });
      }
    }
  };
  const streamStarted = now();
  const workers = Promise.all(Array.from({ length: spec.clients }, worker));

  let rollout: RolloutView;
  let seq = 0;
  try {
    await sleep(spec.marginMs);
    seq = await lastEventSeq(cp);
    rollout = await cp.api<RolloutView>('POST', '/v1/rollouts', {
      fleet: spec.fleet, build: spec.toBuild, strategy: 'blue-green', autoPromote: true, oldIdleSeconds: 0,
    });
    const deadline = now() + spec.timeoutMs;
    while (rollout.switchedAt === null && !['Failed', 'Aborted'].includes(rollout.phase) && now() < deadline) {
      await sleep(25);
      rollout = await cp.api<RolloutView>('GET', `/v1/rollouts/${rollout.id}`);
    }
    // Keep the stream going until players see the new build, then a little longer.
    while (!control.sawNew && rollout.switchedAt !== null && now() < deadline) await sleep(5);
    await sleep(spec.marginMs);
  } finally {
    control.stop = true;
    await workers;
  }
  const streamS = (now() - streamStarted) / 1000;

  const firstNew = answers.filter((a) => a.build === spec.toBuild).reduce<Answer | null>((m, a) => (m === null || a.answeredAt < m.answeredAt ? a : m), null);
  const firstNewAt = firstNew?.answeredAt ?? null;
  const olds = answers.filter((a) => a.build === spec.fromBuild);
  const oldReceived = firstNewAt === null ? 0 : olds.filter((a) => a.answeredAt > firstNewAt).length;
  const oldSentAfter = firstNewAt === null ? 0 : olds.filter((a) => a.sentAt > firstNewAt).length;

  // Answers arrive in about decision order; the sessions' openedAt (server clock) says when each was decided.
  const openedAt = async (picked: Answer[]): Promise<number[]> =>
    (await Promise.all(picked.map((a) => cp.api<{ openedAt: number }>('GET', `/v1/sessions/${a.sessionId ?? ''}`)))).map((o) => o.openedAt);
  const byAnswer = (build: string) => answers.filter((a) => a.build === build).sort((a, b) => a.answeredAt - b.answeredAt);
  const firstNewOpened = await openedAt(byAnswer(spec.toBuild).slice(0, 20));
  const lastOldOpened = await openedAt(byAnswer(spec.fromBuild).slice(-20));
  const decidedAt = firstNewOpened.length === 0 ? null : Math.min(...firstNewOpened);
  const lastOldAt = lastOldOpened.length === 0 ? null : Math.max(...lastOldOpened);

  const servers = await cp.servers();
  const newReady = servers.filter((s) => s.build === spec.toBuild && s.readyAt !== null).map((s) => s.readyAt as number);
  const lastNewServerReadyAt = newReady.length === 0 ? null : Math.max(...newReady);

  const errors: Record<string, number> = {};
  for (const a of answers) if (a.error !== null) errors[a.error] = (errors[a.error] ?? 0) + 1;
  const ok = answers.filter((a) => a.build !== null);
  const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : round(a - b, 1));

  const events = await cp.api<{ items: { at: number; kind: string; subject: string; message: string }[] }>('GET', `/v1/events?after=${seq}&limit=100`);
  const timeline = events.items.map((e) => ({ atMs: diff(e.at, rollout.readyAt), kind: e.kind, subject: e.subject, message: e.message }));

  const retire = await retireOld(cp, client, rollout.id, ok.map((a) => a.sessionId ?? ''), spec.retireTimeoutMs);
  return {
    rolloutId: rollout.id,
    phase: rollout.phase,
    rolloutCreatedAt: rollout.createdAt,
    readyAt: rollout.readyAt,
    switchedAt: rollout.switchedAt,
    lastNewServerReadyAt,
    firstNewBuildAnswerAt: firstNewAt === null ? null : round(firstNewAt, 1),
    firstNewBuildDecidedAt: decidedAt,
    lastOldBuildDecidedAt: lastOldAt,
    provisioningMs: diff(rollout.readyAt, rollout.createdAt),
    serversReadyToRolloutReadyMs: diff(rollout.readyAt, lastNewServerReadyAt),
    switchedMinusReadyMs: diff(rollout.switchedAt, rollout.readyAt),
    readyToFirstNewBuildAnswerMs: diff(firstNewAt, rollout.readyAt),
    decisionGapMs: diff(decidedAt, lastOldAt),
    readyToFirstNewBuildDecisionMs: diff(decidedAt, rollout.readyAt),
    firstNewBuildDecisionToAnswerMs: diff(firstNewAt, decidedAt),
    switchedToFirstNewBuildAnswerMs: diff(firstNewAt, rollout.switchedAt),
    stream: {
      clients: spec.clients,
      answers: answers.length,
      oldBuild: olds.length,
      newBuild: ok.length - olds.length,
      errors,
      perS: round(answers.length / streamS, 0),
      latency: roundSummary(summarizeLatencies(Float64Array.from(ok, (a) => a.answeredAt - a.sentAt))),
    },
    oldAfterFirstNew: { received: oldReceived, sentAfter: oldSentAfter },
    monotonic: firstNewAt !== null && oldSentAfter === 0,
    timeline,
    retire,
  };
}

/** Ends the stream's sessions so the old servers empty, then waits for the rollout to complete. */
async function retireOld(cp: ControlPlaneChild, client: HttpClient, rolloutId: string, sessionIds: string[], timeoutMs: number): Promise<SwitchResult['retire']> {
  await closedLoop(client, 16, { count: sessionIds.length, call: (i) => ({ method: 'DELETE', path: `/v1/sessions/${sessionIds[i] ?? ''}` }) });
  const started = now();
  let r = await cp.api<RolloutView>('GET', `/v1/rollouts/${rolloutId}`);
  while (r.phase !== 'Completed' && now() - started < timeoutMs) {
    await sleep(100);
    r = await cp.api<RolloutView>('GET', `/v1/rollouts/${rolloutId}`);
  }
  return { completed: r.phase === 'Completed', phase: r.phase, message: r.message, waitedMs: round(now() - started, 0) };
}

/** The newest event's seq, by binary search on `after` (the log is read oldest first). */
async function lastEventSeq(cp: ControlPlaneChild): Promise<number> {
  const exists = async (after: number): Promise<boolean> =>
    (await cp.api<{ items: unknown[] }>('GET', `/v1/events?after=${after}&limit=1`)).items.length > 0;
  let hi = 1;
  while (await exists(hi)) hi *= 2;
  let lo = 0;
  // Invariant: an event after lo exists (or lo = 0), none after hi.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await exists(mid)) lo = mid;
    else hi = mid;
  }
  return (await exists(lo)) ? hi : lo;
}
