/**
 * The predicted distribution of a caller's wait: a gamma with the estimate as its mean and the model's
 * shape (wait.ts `waitShape`), or no wait at all when the estimate is 0 (a free slot). The same model
 * gives the range, the phrase (phrase.ts) and hold music's remaining wait after `waited` seconds.
 */
import { gammaCdf, gammaQuantile } from '../gamma';

export interface WaitModel {
  /** The estimate: the model's mean, seconds (0: answered at once). */
  meanSeconds: number;
  /** Gamma shape (1 = exponential); larger is narrower. */
  shape: number;
  /** Seconds the caller has already waited; the model is then of the wait still to come. */
  waitedSeconds?: number;
}

/** The gamma shape actually used: stored shapes are rounded and may be missing in old entries. */
const usableShape = (model: WaitModel) => Math.max(0.01, model.shape);

/** P(total wait ≤ seconds) under the unconditioned model. */
function totalCdf(model: WaitModel, seconds: number): number {
  if (model.meanSeconds <= 0) return seconds >= 0 ? 1 : 0;
  const shape = usableShape(model);
  return gammaCdf(shape, Math.max(0, seconds) / (model.meanSeconds / shape));
}

/**
 * P(the wait still to come ≤ seconds): for a caller who has waited t, P(W ≤ t + s | W > t). Far in the
 * tail, where the model gives W > t no weight left, the remaining wait is taken as one more gap between
 * departures (exponential with the gamma's scale), as in expectedRemainingWait.
 */
export function remainingCdf(model: WaitModel, seconds: number): number {
  if (seconds < 0) return 0;
  const waited = Math.max(0, model.waitedSeconds ?? 0);
  if (waited === 0) return totalCdf(model, seconds);
  const survived = 1 - totalCdf(model, waited);
  if (survived < 1e-9) return 1 - Math.exp(-seconds / Math.max(1, model.meanSeconds / usableShape(model)));
  return (totalCdf(model, waited + seconds) - totalCdf(model, waited)) / survived;
}

/**
 * The remaining wait's p-quantile under the model (0 for a free slot): the gamma's own quantile for a
 * caller who has not waited yet, else found by bisection on remainingCdf. The search stops at about a
 * day and a half (122,880 s), so a nonsense model cannot loop.
 */
export function remainingQuantile(model: WaitModel, p: number): number {
  if (model.meanSeconds <= 0) return 0;
  if (!model.waitedSeconds) return gammaQuantile(p, usableShape(model), model.meanSeconds);
  let low = 0;
  let high = 60;
  while (remainingCdf(model, high) < p && high < 24 * 3600) high *= 2;
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (remainingCdf(model, mid) < p) low = mid;
    else high = mid;
  }
  return high;
}

/** P(low < remaining wait ≤ high). */
export function probabilityBetween(model: WaitModel, lowSeconds: number, highSeconds: number): number {
  return Math.max(0, remainingCdf(model, highSeconds) - (lowSeconds <= 0 ? 0 : remainingCdf(model, lowSeconds)));
}

/**
 * The expected remaining wait of a caller who has already waited `waitedSeconds`, under the model:
 * E[W − t | W > t] = mean × Q(shape + 1, t/θ) / Q(shape, t/θ) − t (Q the upper regularized gamma,
 * θ = mean / shape). Shape 1 is memoryless: the estimate again. Far in the tail (Q underflows) the
 * remaining wait tends to θ, the time to the next departure.
 */
export function expectedRemainingWait(estimateSeconds: number, shape: number, waitedSeconds: number): number {
  if (estimateSeconds <= 0) return 0;
  const s = Math.max(0.01, shape);
  const scale = estimateSeconds / s;
  const x = Math.max(0, waitedSeconds) / scale;
  const upper = 1 - gammaCdf(s, x);
  if (upper < 1e-9) return scale;
  return Math.max(0, (estimateSeconds * (1 - gammaCdf(s + 1, x))) / upper - Math.max(0, waitedSeconds));
}
