/**
 * The predicted distribution of a caller's wait: a gamma with the estimate as its mean and the model's
 * shape (wait.ts `waitShape`), or no wait at all when the estimate is 0 (a free slot). A caller who asks
 * after the reading was taken gets a mixture (answer.ts `modelAt`): with the weight `aged.weight` the
 * reading no longer describes the line and the wait is the window's, read as exponential with the
 * window's mean wait. The same model gives the range, the phrase (phrase.ts) and hold music's remaining
 * wait after `waited` seconds.
 */
import { gammaCdf, gammaCdfOf, gammaQuantile } from '../gamma';

export interface WaitModel {
  /** The estimate: the model's mean, seconds (0: answered at once). */
  meanSeconds: number;
  /** Gamma shape (1 = exponential); larger is narrower. */
  shape: number;
  /** Seconds the caller has already waited; the model is then of the wait still to come. */
  waitedSeconds?: number;
  /** The share of callers the reading no longer describes, and their wait's mean (absent: none). */
  aged?: AgedPart;
}

/** The part of the model that comes from the window instead of the reading. */
export interface AgedPart {
  /** Its weight, 0–1. */
  weight: number;
  /** The window's mean wait, seconds: the mean of an exponential. */
  meanSeconds: number;
}

/** The gamma shape actually used: stored shapes are rounded and may be missing in old entries. */
const usableShape = (model: WaitModel) => Math.max(0.01, model.shape);

/** One part of the mixture: a gamma of this mean and shape (mean 0: no wait at all). */
interface Part {
  weight: number;
  mean: number;
  shape: number;
}

/** The model's parts: the reading's, and the window's when the reading has aged. */
function partsOf(model: WaitModel): Part[] {
  const reading: Part = { weight: 1, mean: Math.max(0, model.meanSeconds), shape: usableShape(model) };
  const aged = model.aged;
  if (!aged || !(aged.weight > 0)) return [reading];
  const weight = Math.min(1, aged.weight);
  return [
    { ...reading, weight: 1 - weight },
    { weight, mean: Math.max(0, aged.meanSeconds), shape: 1 },
  ];
}

/** A part's CDF, seconds → probability, built once for many evaluations (mean 0: no wait at all). */
function partCdfOf(part: Part): (seconds: number) => number {
  if (part.mean <= 0) return () => 1;
  const cdf = gammaCdfOf(part.shape);
  const scale = part.mean / part.shape;
  return (seconds) => cdf(seconds / scale);
}

/** The model's mean: the estimate a caller is told (the reading's estimate until it ages). */
export function modelMean(model: WaitModel): number {
  return partsOf(model).reduce((sum, part) => sum + part.weight * part.mean, 0);
}

/** Whether the model has a single gamma (or no wait) part, whose quantiles need no search. */
const isSingle = (model: WaitModel) => partsOf(model).length === 1;

/**
 * P(the wait still to come ≤ seconds): for a caller who has waited t, P(W ≤ t + s | W > t). Far in the
 * tail, where the model gives W > t no weight left, the remaining wait is taken as one more gap between
 * departures (exponential with the gamma's scale), as in expectedRemainingWait.
 */
export function remainingCdf(model: WaitModel, seconds: number): number {
  return remainingCdfOf(model)(seconds);
}

/**
 * remainingCdf as a function of the seconds, the model's parts and its conditioning worked out once: a
 * quantile's search and the phrase's candidates evaluate it many times.
 */
export function remainingCdfOf(model: WaitModel): (seconds: number) => number {
  const parts = partsOf(model).map((part) => ({ weight: part.weight, cdf: partCdfOf(part) }));
  const total = (seconds: number) => {
    if (seconds < 0) return 0;
    let sum = 0;
    for (const part of parts) sum += part.weight * part.cdf(seconds);
    return sum;
  };
  const waited = Math.max(0, model.waitedSeconds ?? 0);
  if (waited === 0) return total;
  const reached = total(waited);
  const survived = 1 - reached;
  if (survived < 1e-9) {
    const scale = Math.max(1, farTailScale(model));
    return (seconds) => (seconds < 0 ? 0 : 1 - Math.exp(-seconds / scale));
  }
  return (seconds) => (seconds < 0 ? 0 : (total(waited + seconds) - reached) / survived);
}

/** The largest of the parts' gaps between departures (mean ÷ shape): the far tail's. */
const farTailScale = (model: WaitModel) => Math.max(...partsOf(model).map((part) => part.mean / part.shape));

/**
 * The remaining wait's p-quantile under the model (0 for a free slot, or where no wait holds at least
 * p): the gamma's own quantile for a caller who has not waited yet under a single part, else found by
 * bisection on remainingCdf. The search stops at about a day and a half (122,880 s), so a nonsense
 * model cannot loop.
 */
export function remainingQuantile(model: WaitModel, p: number): number {
  if (modelMean(model) <= 0) return 0;
  if (!model.waitedSeconds && isSingle(model)) return gammaQuantile(p, usableShape(model), model.meanSeconds);
  const cdf = remainingCdfOf(model);
  if (cdf(0) >= p) return 0;
  let low = 0;
  let high = 60;
  while (cdf(high) < p && high < 24 * 3600) high *= 2;
  for (let i = 0; i < 40; i++) {
    const mid = (low + high) / 2;
    if (cdf(mid) < p) low = mid;
    else high = mid;
  }
  return high;
}

/** P(low < remaining wait ≤ high). */
export function probabilityBetween(model: WaitModel, lowSeconds: number, highSeconds: number): number {
  return probabilityBetweenOf(remainingCdfOf(model), lowSeconds, highSeconds);
}

/** P(low < remaining wait ≤ high) from a model's remainingCdfOf. */
export function probabilityBetweenOf(cdf: (seconds: number) => number, lowSeconds: number, highSeconds: number): number {
  return Math.max(0, cdf(highSeconds) - (lowSeconds <= 0 ? 0 : cdf(lowSeconds)));
}

/**
 * The expected remaining wait under a model of any parts, for a caller who has waited
 * `model.waitedSeconds`: each part's expected remaining wait (expectedRemainingWait), weighted by the
 * part's weight and by its chance of lasting that long. When no part gives that any chance left, the
 * far tail's gap between departures.
 */
export function remainingMean(model: WaitModel): number {
  const waited = Math.max(0, model.waitedSeconds ?? 0);
  // Not waited yet: the whole mean, the reading's atom at 0 (a free slot) included. Once a caller has
  // waited, nobody is left in the atom.
  if (waited === 0) return modelMean(model);
  let weight = 0;
  let sum = 0;
  for (const part of partsOf(model)) {
    // An atom at 0 has nobody left past any wait: it adds nothing to either sum.
    const survived = part.weight * (1 - partCdfOf(part)(waited));
    weight += survived;
    sum += survived * expectedRemainingWait(part.mean, part.shape, waited);
  }
  // Past every part's mass: the far tail's gap between departures (0 when every part is an atom).
  return weight < 1e-12 ? farTailScale(model) : sum / weight;
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
