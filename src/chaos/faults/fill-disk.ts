/**
 * Fills the filesystem that holds `path` — in practice a size-limited tmpfs mounted at a game
 * server's data directory, so the experiment's blast radius is that one filesystem, never the
 * host's root disk — with one filler file, leaving `leaveBytes`. Restored by deleting the file.
 */
import { open, rm, statfs } from 'node:fs/promises';
import path from 'node:path';
import { HandoffError } from '../../core/errors.js';
import type { FaultSpec } from '../model.js';
import type { Fault } from '../ports.js';

type Spec = Extract<FaultSpec, { type: 'fill-disk' }>;

const Chunk = 1 << 20;

async function freeBytes(dir: string): Promise<{ free: number; size: number }> {
  const s = await statfs(dir);
  return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
}

export function fillDisk(spec: Spec, experiment: string): Fault {
  const filler = path.join(spec.path, `.handoff-chaos-fill-${experiment}`);
  return {
    async blastRadius() {
      const fs = await freeBytes(spec.path).catch((e: NodeJS.ErrnoException) => {
        throw new HandoffError('CHAOS_TARGET_NOT_FOUND', `${spec.path}: ${e.code ?? e.message}`, { path: spec.path });
      });
      return [`the filesystem holding ${spec.path}: ${fs.free} of ${fs.size} bytes free, filled to ${spec.leaveBytes} free by ${filler}`];
    },
    async inject() {
      const file = await open(filler, 'w', 0o600).catch((e: NodeJS.ErrnoException) => {
        throw new HandoffError('CHAOS_INJECTION_FAILED', `cannot create ${filler}: ${e.code ?? e.message}`, { path: filler });
      });
      const zeros = Buffer.alloc(Chunk);
      try {
        for (;;) {
          const { free } = await freeBytes(spec.path);
          const want = free - spec.leaveBytes;
          if (want <= 0) return;
          await file.write(zeros, 0, Math.min(Chunk, want));
        }
      } catch (e) {
        // ENOSPC is the goal reached (reserved blocks may stop us before `free` says 0).
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw new HandoffError('CHAOS_INJECTION_FAILED', `filling ${filler}: ${(e as Error).message}`, { path: filler });
      } finally {
        await file.close();
      }
    },
    async restore() {
      await rm(filler, { force: true });
    },
  };
}
