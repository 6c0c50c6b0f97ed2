/**
 * What a caller is told depends on when they ask. A reading describes the line when it was taken; a
 * caller who asks `ageSeconds` later hears a model in which the reading still holds with weight
 * e^(−age/READING_TIME_CONSTANT_SECONDS) and, for the rest, the wait is the window's: exponential with
 * the queue's mean wait of the window (its entry's `windowWaitSeconds`). get-queue-times, hold music,
 * the dashboard and both benchmarks build the model here, so they tell the same thing.
 */
import { modelMean, remainingQuantile, type WaitModel } from './distribution';
import type { QueueObservation } from './observation';
import { RANGE_HIGH_QUANTILE, RANGE_LOW_QUANTILE, originalEstimate, type EstimatorName, type WaitRange } from './wait';

/**
 * How fast a reading stops describing the line, seconds: chosen on January's log over the three cadences
 * (docs/accuracy.md, "Every constant").
 */
export const READING_TIME_CONSTANT_SECONDS = 200;

/** What the answer is built from: a stored entry's fields (older entries lack the window's wait). */
export interface StoredReading {
  estimatedWaitSeconds: number | null;
  waitShape?: number | null;
  windowWaitSeconds?: number | null;
}

/**
 * The window's mean wait as an entry stores it: two significant figures (whole seconds under 100), so
 * a queue whose estimate holds still is not rewritten for every second its window's mean moves. null
 * when the window accepted nothing.
 */
export function windowWait(observation: QueueObservation): number | null {
  const mean = originalEstimate(observation).estimatedWaitSeconds;
  return mean === null ? null : Math.round(Number(mean.toPrecision(2)));
}

/** The window's wait an entry stores beside an estimate: the default's, when it has a number. */
export function windowWaitFor(name: EstimatorName, estimatedWaitSeconds: number | null, observation: QueueObservation): number | null {
  return name === 'default' && estimatedWaitSeconds !== null ? windowWait(observation) : null;
}

/** The model of the wait of a caller who asks `ageSeconds` after the reading; null when the reading has no estimate. */
export function modelAt(reading: StoredReading, ageSeconds: number): WaitModel | null {
  if (reading.estimatedWaitSeconds === null) return null;
  const model: WaitModel = { meanSeconds: reading.estimatedWaitSeconds, shape: reading.waitShape ?? 1 };
  const window = reading.windowWaitSeconds;
  if (window === null || window === undefined || !(ageSeconds > 0)) return model;
  return { ...model, aged: { weight: 1 - Math.exp(-ageSeconds / READING_TIME_CONSTANT_SECONDS), meanSeconds: window } };
}

/** What a caller asking `ageSeconds` after the reading is told: the model, its mean and its range. */
export interface AnswerAt {
  model: WaitModel;
  /** The model's mean, whole seconds: get-queue-times' `waitTime`. */
  seconds: number;
  range: WaitRange | null;
}

/**
 * The answer at `ageSeconds` after the reading, null when the reading has no estimate. An aged model
 * has its own range; a reading asked at once keeps the stored one (the same quantiles).
 */
export function answerAt(reading: StoredReading & { waitRange?: WaitRange | null }, ageSeconds: number): AnswerAt | null {
  const model = modelAt(reading, ageSeconds);
  if (model === null) return null;
  return { model, seconds: toldSeconds(model), range: model.aged ? rangeOf(model) : (reading.waitRange ?? null) };
}

/** The estimate told: the model's mean, whole seconds. */
export const toldSeconds = (model: WaitModel): number => Math.round(modelMean(model));

/**
 * The 80% range of the model: its 10% and 90% quantiles. A free slot in the reading keeps at least its
 * minute: 0 to 60 s, as the reading alone says.
 */
export function rangeOf(model: WaitModel): WaitRange {
  const low = Math.floor(remainingQuantile(model, RANGE_LOW_QUANTILE));
  const high = Math.ceil(remainingQuantile(model, RANGE_HIGH_QUANTILE));
  return { low, high: model.meanSeconds <= 0 ? Math.max(60, high) : high };
}
