/** The benchmarks' confidence intervals for an RMSE ratio: a bootstrap over blocks of callers. */
import { seededRandom } from '../dev/workspace-model';

const RESAMPLES = 1000;

/** The p-quantile of sorted values (nearest rank), NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))]!;
}

/**
 * 2.5% and 97.5% of sqrt(Σ ours / Σ theirs) over resamples of whole blocks, each block its callers'
 * summed squared errors [ours, theirs]. Blocks keep neighbouring callers' correlation; the seed makes
 * the interval repeatable.
 */
export function rmseRatioInterval(blocks: readonly (readonly [number, number])[], seed: number): { low: number; high: number } {
  const random = seededRandom(seed);
  const ratios: number[] = [];
  for (let resample = 0; resample < RESAMPLES && blocks.length > 0; resample++) {
    let ours = 0;
    let theirs = 0;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[Math.floor(random() * blocks.length)]!;
      ours += block[0];
      theirs += block[1];
    }
    if (theirs > 0) ratios.push(Math.sqrt(ours / theirs));
  }
  ratios.sort((a, b) => a - b);
  return { low: percentile(ratios, 0.025), high: percentile(ratios, 0.975) };
}
