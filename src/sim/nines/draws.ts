/** Random draws the light simulator needs beyond `SeededRandom`'s own. */
import type { SeededRandom } from '../../core/random.js';

/** A Poisson draw: Knuth's product for small means, a rounded normal beyond. */
export function poisson(random: SeededRandom, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * random.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random.next();
  while (p > limit) {
    k += 1;
    p *= random.next();
  }
  return k;
}
