/**
 * Wait-time estimators: functions of one queue's reading and its history. An estimator that cannot
 * answer says so with a reason instead of answering 0. Each estimate comes with the gamma model of the
 * wait behind it: its range, the phrase a caller hears and hold music's remaining wait all come from
 * that one model (distribution.ts).
 */
import { gammaQuantile } from '../gamma';
import type { QueueHistory } from './history';
import type { QueueObservation } from './observation';
import type { PoolView } from './pool';
import { abandonmentPerSecond, drainRatePerSecond, freeSlot, throughputPerSecond } from './rates';

export type Confidence = 'high' | 'low' | 'none';

/** Why an estimate is not of high confidence. */
export type EstimateReason =
  | 'no_eligible_workers'
  | 'all_agents_logged_out'
  | 'no_recent_acceptances'
  | 'few_recent_acceptances'
  | 'missing_statistics';

export interface WaitEstimate {
  /** Whole seconds a caller joining now is expected to wait (the model's mean); null when unknown. */
  estimatedWaitSeconds: number | null;
  confidence: Confidence;
  reason?: EstimateReason;
}

/** Where the wait of about 80% of callers joining now should fall, whole seconds. */
export interface WaitRange {
  low: number;
  high: number;
}

/** An estimate with its predicted range and the gamma shape behind it (null when the estimate is). */
export type RangedEstimate = WaitEstimate & { waitRange: WaitRange | null; waitShape: number | null };

/**
 * The default's tunable numbers, all chosen on the tuning scenarios only
 * (`npm run bench:accuracy -- --tune` searches each over a grid); nothing is fit on validation.
 */
export interface EstimatorParameters {
  /** How far the default moves from queue length towards head of line when callers wait (0..1). */
  headOfLineWeight: number;
  /** Acceptances in the window that give the history's drain-rate correction half its weight. */
  drainEvidence: number;
  /** Relative variance the model adds for what the statistics cannot tell (model error), ≥ 0. */
  rangeModelVariance: number;
  /**
   * For a queue that shares workers: how far its estimate moves from the pool's towards its own
   * realised mean wait of the window (the original's estimate), when there is one (0..1). The queue's
   * own evidence of how TaskRouter serves it among the pool, which the pool's queue length cannot see
   * (priorities, agents of its own).
   */
  ownWaitWeight: number;
  /**
   * Acceptances in the window (the pool's, for a queue in one) at which the rate-based estimate and the
   * queue's own mean wait of the window weigh alike: with A acceptances the estimate moves
   * rateEvidence ÷ (A + rateEvidence) of the way towards that mean wait, which needs no rate. A rate
   * measured from one or two acceptances, as on a small queue or at night, says little; 0 turns it off.
   */
  rateEvidence: number;
}

export const DEFAULT_PARAMETERS: EstimatorParameters = { headOfLineWeight: 0.4, drainEvidence: 0, rangeModelVariance: 0, ownWaitWeight: 0.5, rateEvidence: 1 };

export const ESTIMATOR_NAMES = ['default', 'original', 'head-of-line', 'queue-length'] as const;
export type EstimatorName = (typeof ESTIMATOR_NAMES)[number];

/** Below this many acceptances in the window, throughput is too noisy to call an estimate high confidence. */
const MIN_ACCEPTED_FOR_HIGH_CONFIDENCE = 10;

const unknown = (reason: EstimateReason): WaitEstimate => ({ estimatedWaitSeconds: null, confidence: 'none', reason });

function known(seconds: number, confidence: Confidence, reason?: EstimateReason): WaitEstimate {
  const estimate: WaitEstimate = { estimatedWaitSeconds: Math.max(0, Math.round(seconds)), confidence };
  if (reason) estimate.reason = reason;
  return estimate;
}

/** An estimate graded by the evidence behind it: few acceptances, or lean statistics, make it low. */
function graded(o: QueueObservation, seconds: number): WaitEstimate {
  const accepted = o.tasksAccepted ?? 0;
  if (accepted === 0) return known(seconds, 'low', 'no_recent_acceptances');
  if (accepted < MIN_ACCEPTED_FOR_HIGH_CONFIDENCE) return known(seconds, 'low', 'few_recent_acceptances');
  if (!o.waitDurationsReported) return known(seconds, 'low', 'missing_statistics');
  return known(seconds, 'high');
}

/**
 * Nobody can take a task: no worker is eligible, or every eligible worker is in a logged-out Activity
 * (after hours). There is no wait to announce, only "no agents".
 */
export function noAgents(o: QueueObservation): WaitEstimate | null {
  if (o.eligibleWorkers === 0) return unknown('no_eligible_workers');
  if (o.loggedInWorkers === 0) return unknown('all_agents_logged_out');
  return null;
}

/**
 * The original project's estimate (and Twilio's samples'): the mean in-queue wait of the tasks
 * accepted in the window. Lags behind a queue that is filling up now.
 */
export function originalEstimate(o: QueueObservation): WaitEstimate {
  if (o.avgWaitUntilAcceptedSeconds === null || !o.tasksAccepted) return unknown('no_recent_acceptances');
  return graded(o, o.avgWaitUntilAcceptedSeconds);
}

/** Head of line: how long the oldest waiting task has waited so far; 0 with a free slot. */
export function headOfLineEstimate(o: QueueObservation, history: QueueHistory | null = null): WaitEstimate {
  const early = noAgents(o);
  if (early) return early;
  if (freeSlot(o, history)) return graded(o, 0);
  if (o.tasksWaiting === null || o.longestWaitSeconds === null || o.tasksWaiting === 0) return unknown('missing_statistics');
  return known(o.longestWaitSeconds, 'low');
}

/**
 * Expected wait of the caller at position `position` (1 = next) when the queue drains at `serviceRate`
 * tasks/s and each waiting caller abandons at `abandonRate`/s: sum over the callers still ahead of the
 * time until the next one leaves (Ibrahim & Whitt's queue-length estimator with abandonment).
 */
export function queueLengthWait(position: number, serviceRate: number, abandonRate: number): number {
  let seconds = 0;
  for (let ahead = position - 1; ahead >= 0; ahead--) seconds += 1 / (serviceRate + ahead * abandonRate);
  return seconds;
}

/** Queue length over the window's throughput, the classic vendor formula, with abandonment. */
export function queueLengthEstimate(o: QueueObservation, history: QueueHistory | null = null): WaitEstimate {
  const early = noAgents(o);
  if (early) return early;
  if (freeSlot(o, history)) return graded(o, 0);
  const rate = throughputPerSecond(o);
  if (o.tasksWaiting === null || rate === null) return unknown('missing_statistics');
  if (rate <= 0) return unknown('no_recent_acceptances');
  return graded(o, queueLengthWait(o.tasksWaiting + 1, rate, abandonmentPerSecond(o)));
}

/**
 * The default:
 * - nobody eligible, or every eligible worker logged out: unknown ("no agents");
 * - a free slot (rates.ts `freeSlot`): 0, "less than a minute";
 * - otherwise the caller is position k = waiting + 1 behind a queue that drains at the rate it drains
 *   now (rates.ts `drainRatePerSecond`: Little's law on the history's time-averaged work in service),
 *   with the window's abandonment: the queue-length wait, moved `headOfLineWeight` of the way towards
 *   how long the oldest caller has waited;
 * - a queue that shares workers (`pool`, estimator/pool.ts): the same with the pool's waiting callers,
 *   drain rate, abandonment and oldest caller, then moved `ownWaitWeight` of the way towards the
 *   queue's own mean wait of the window;
 * - either way, with A acceptances in the window (the pool's), moved rateEvidence ÷ (A + rateEvidence)
 *   of the way towards the queue's own mean wait of the window: a rate from few acceptances says little;
 * - no statistics of the line at all: the window's mean wait, of low confidence.
 */
export function defaultEstimate(o: QueueObservation, history: QueueHistory | null = null, parameters: EstimatorParameters = DEFAULT_PARAMETERS, pool: PoolView | null = null): WaitEstimate {
  const early = noAgents(o);
  if (early) return early;
  if (freeSlot(o, history)) return graded(o, 0);
  // Queues that share workers: the work ahead in the whole pool, drained at the pool's rate.
  const basis = pool ?? { observation: o, history };
  const line = basis.observation;
  // The queue's own mean wait of the window (the original's estimate), which needs no rate.
  const original = originalEstimate(o);
  const mean = original.estimatedWaitSeconds;
  if (line.tasksWaiting === null) return mean === null ? unknown('missing_statistics') : known(mean, 'low', 'missing_statistics');
  const rate = drainRatePerSecond(line, basis.history, parameters.drainEvidence);
  // No drain rate (nothing accepted in the window, or a window of no length): the original's answer.
  if (rate === null) return original;
  const byLength = queueLengthWait(line.tasksWaiting + 1, rate, abandonmentPerSecond(line));
  const head = line.tasksWaiting > 0 ? line.longestWaitSeconds : null;
  const blended = head === null ? byLength : byLength + (head - byLength) * parameters.headOfLineWeight;
  // A pool's queue length cannot see how TaskRouter orders this queue's callers among the pool's
  // (priorities, agents of its own): the queue's own recent waits correct it.
  const pooled = pool && mean !== null ? blended + (mean - blended) * parameters.ownWaitWeight : blended;
  // A rate measured from few acceptances is noisy: shrink towards the mean wait, which needs none.
  // (A drain rate rests on at least one acceptance, so the share is well defined.)
  const thin = parameters.rateEvidence / ((line.tasksAccepted ?? 0) + parameters.rateEvidence);
  return graded(o, mean === null ? pooled : pooled + (mean - pooled) * thin);
}

type Estimator = (o: QueueObservation, history: QueueHistory | null, parameters: EstimatorParameters, pool: PoolView | null) => WaitEstimate;
const ESTIMATORS: Record<EstimatorName, Estimator> = {
  default: defaultEstimate,
  original: (o) => originalEstimate(o),
  'head-of-line': headOfLineEstimate,
  'queue-length': queueLengthEstimate,
};

/** The share of callers the range is meant to hold, and its tails. */
export const RANGE_LOW_QUANTILE = 0.1;
export const RANGE_HIGH_QUANTILE = 0.9;

/**
 * The gamma shape of the wait model. A caller with k = (waiting + 1) departures ahead waits the sum of
 * k gaps between departures: a gamma with shape k and the estimate as its mean (Erlang for a steady
 * drain rate). What the statistics leave uncertain widens it: the rate is measured from A acceptances
 * (relative variance 1/A) and the model itself errs (`rangeModelVariance`), so the shape used is
 * 1 / (1/k + 1/A + model variance). Rounded to two decimals, as stored.
 */
export function waitShape(o: QueueObservation, parameters: EstimatorParameters = DEFAULT_PARAMETERS): number {
  const ahead = (o.tasksWaiting ?? 0) + 1;
  const accepted = Math.max(1, o.tasksAccepted ?? 0);
  return Math.round(100 / (1 / ahead + 1 / accepted + parameters.rangeModelVariance)) / 100;
}

/** The predicted range: the model's 10% and 90% quantiles. A free slot means 0 to a minute. */
export function waitRange(o: QueueObservation, estimate: WaitEstimate, parameters: EstimatorParameters = DEFAULT_PARAMETERS): WaitRange | null {
  const seconds = estimate.estimatedWaitSeconds;
  if (seconds === null) return null;
  if (seconds === 0) return { low: 0, high: 60 };
  const shape = waitShape(o, parameters);
  return { low: Math.floor(gammaQuantile(RANGE_LOW_QUANTILE, shape, seconds)), high: Math.ceil(gammaQuantile(RANGE_HIGH_QUANTILE, shape, seconds)) };
}

/**
 * Estimate with the named estimator, its predicted range and the model's shape. `history` is the
 * queue's history with this reading already folded in (history.ts `advanceHistory`).
 */
export function estimateWait(name: EstimatorName, observation: QueueObservation, history: QueueHistory | null = null, parameters: EstimatorParameters = DEFAULT_PARAMETERS, pool: PoolView | null = null): RangedEstimate {
  const estimate = ESTIMATORS[name](observation, history, parameters, pool);
  const isKnown = estimate.estimatedWaitSeconds !== null;
  // The model's departures ahead and measured acceptances are the pool's when the default used it.
  const modelled = name === 'default' && pool ? pool.observation : observation;
  return { ...estimate, waitRange: waitRange(modelled, estimate, parameters), waitShape: isKnown ? waitShape(modelled, parameters) : null };
}
