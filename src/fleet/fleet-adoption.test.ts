import { describe, expect, it } from 'vitest';
import { FleetAdoption, inSlices } from './fleet-adoption.js';

/** An adopter whose adoptions the test finishes by hand, recording what ran and in which order. */
function heldAdopter() {
  const log: string[] = [];
  const finish = new Map<string, () => void>();
  const adopt = (fleet: string): Promise<void> => {
    log.push(`start ${fleet}`);
    return new Promise<void>((resolve) => finish.set(fleet, () => (log.push(`end ${fleet}`), resolve())));
  };
  return { log, adopt, finish: (fleet: string) => finish.get(fleet)?.() };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('adopting fleet by fleet after a cold start', () => {
  it('adopts every fleet once, one at a time, in order', async () => {
    const a = heldAdopter();
    const adoption = new FleetAdoption(['f1', 'f2'], a.adopt);
    const all = adoption.all();
    await turn();
    expect(a.log).toEqual(['start f1']);
    a.finish('f1');
    await turn();
    await turn();
    expect(a.log).toEqual(['start f1', 'end f1', 'start f2']);
    a.finish('f2');
    await all;
    await adoption.fleet('f1');
    expect(a.log).toEqual(['start f1', 'end f1', 'start f2', 'end f2']);
  });

  it('adopts a fleet asked for ahead of the queue, after the adoption already running', async () => {
    const a = heldAdopter();
    const adoption = new FleetAdoption(['f1', 'f2', 'f3'], a.adopt);
    const all = adoption.all();
    await turn();
    let f3Ready = false;
    const f3 = adoption.fleet('f3').then(() => (f3Ready = true));
    await turn();
    // Never two at once: f3 waits for f1, then runs before f2.
    expect(a.log).toEqual(['start f1']);
    a.finish('f1');
    await turn();
    expect(a.log).toEqual(['start f1', 'end f1', 'start f3']);
    expect(f3Ready).toBe(false);
    a.finish('f3');
    await f3;
    await turn();
    await turn();
    expect(a.log.at(-1)).toBe('start f2');
    a.finish('f2');
    await all;
    expect(a.log.filter((l) => l.startsWith('start'))).toEqual(['start f1', 'start f3', 'start f2']);
  });

  it('answers at once for a fleet that had no server at the start', async () => {
    const a = heldAdopter();
    const adoption = new FleetAdoption(['f1'], a.adopt);
    await adoption.fleet('new-fleet');
    expect(a.log).toEqual([]);
  });

  it('fails whoever waits for a fleet whose adoption failed, and the whole adoption with it', async () => {
    const adoption = new FleetAdoption(['f1', 'f2'], (fleet) => (fleet === 'f1' ? Promise.reject(new Error('runtime down')) : Promise.resolve()));
    await expect(adoption.fleet('f1')).rejects.toThrow('runtime down');
    await expect(adoption.all()).rejects.toThrow('runtime down');
    // The next fleet is not held back by the failure.
    await expect(adoption.fleet('f2')).resolves.toBeUndefined();
  });

  it('adopts a long list in slices with a turn of the event loop between two', async () => {
    const seen: string[] = [];
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    await inSlices([1, 2, 3, 4, 5], 2, async (slice) => void seen.push(`${slice.join(',')} after ${turns}`));
    counting = false;
    expect(seen.map((s) => s.split(' after ')[0])).toEqual(['1,2', '3,4', '5']);
    const at = seen.map((s) => Number(s.split(' after ')[1]));
    expect(at[1]).toBeGreaterThan(at[0] ?? 0);
    expect(at[2]).toBeGreaterThan(at[1] ?? 0);
  });
});
