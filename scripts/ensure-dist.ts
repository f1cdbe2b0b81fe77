import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Newest modification time of the sources `npm run build` compiles. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure `dist/` is a build of the current sources: `npm ci` builds it (the `prepare`
 * script), but a checkout edited since would otherwise be tested against stale JavaScript.
 */
export function ensureDist(): void {
  const marker = path.join(repoRoot, 'dist/cli/main.js');
  let built = 0;
  try {
    built = statSync(marker).mtimeMs;
  } catch {
    built = 0;
  }
  if (built >= newestSource(path.join(repoRoot, 'src'))) return;
  execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
}
