/**
 * Ports for one control plane under test. The API and SDK ports come from the kernel (bind
 * port 0, close); game-server ports come from a block of ~50 chosen per test file, below the
 * kernel's ephemeral range so outgoing connections never take them, and probed to be free.
 */
import { createServer } from 'node:net';

export interface PortRange {
  from: number;
  to: number;
}

/** A port nobody listens on right now (on 127.0.0.1). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address for a port-0 listener');
  return address.port;
}

const LOWEST = 20_000;
/** The ephemeral range starts at 32768 on Linux; stay below it. */
const SLOTS = 250;

/**
 * A block of `size` consecutive ports, all free now. The first slot tried is derived from `seed`
 * (use the test file's name), so test files running in parallel start from different blocks
 * and two control planes never hand out the same game port.
 */
export async function freePortRange(seed: string, size = 50): Promise<PortRange> {
  const first = fnv1a(seed) % SLOTS;
  for (let i = 0; i < SLOTS; i++) {
    const from = LOWEST + ((first + i) % SLOTS) * size;
    const range = { from, to: from + size - 1 };
    if (await allFree(range)) return range;
  }
  throw new Error(`no free block of ${size} ports between ${LOWEST} and ${LOWEST + SLOTS * size}`);
}

async function allFree(range: PortRange): Promise<boolean> {
  for (let port = range.from; port <= range.to; port++) {
    // Arena binds 0.0.0.0, the control plane's port check may use either.
    if (!(await canBind(port, '0.0.0.0')) || !(await canBind(port, '127.0.0.1'))) return false;
  }
  return true;
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
