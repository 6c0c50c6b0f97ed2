/**
 * Wait-time estimators: pure functions of one queue's statistics. Every input may be null (the
 * TaskRouter API marks nothing as required), and an estimator that cannot answer says so with a
 * reason instead of answering 0.
 */
import { gammaCdf, gammaQuantile } from './gamma';

/** One queue's statistics as the refresher read them, in seconds and counts. null = not reported. */
export interface QueueObservation {
  /** Length of the cumulative window, seconds. */
  windowSeconds: number;
  /** Tasks waiting for a worker now (`tasks_by_status.pending`). */
  tasksWaiting: number | null;
  /** How long the oldest waiting task has been in this queue (`longest_relative_task_age_in_queue`). */
  longestWaitSeconds: number | null;
  /**
   * Eligible workers in an Activity marked available (`total_available_workers`). TaskRouter counts
   * them whether or not they are handling tasks: in a multitasking workspace a busy agent stays
   * Available, so this is not "agents free right now".
   */
  availableWorkers: number | null;
  /** Workers eligible for the queue in any Activity, Offline included (`total_eligible_workers`). */
  eligibleWorkers: number | null;
  /**
   * Eligible workers not in a logged-out Activity (from `activity_statistics` and the configured
   * logged-out Activity names); null when the statistics carry no `activity_statistics`.
   */
  loggedInWorkers: number | null;
  /**
   * Whether the workspace is multitasking (`multi_task_enabled` of the Workspace; Flex's default).
   * Single-tasking: TaskRouter moves a worker holding a task to an unavailable Activity, so Available
   * means free. Multitasking: Available workers may be busy. null: unknown, treated as multitasking.
   */
  multitasking: boolean | null;
  /** Tasks of this queue held by workers now: reserved, assigned or wrapping (`tasks_by_status`). */
  tasksInService: number | null;
  /**
   * Of the tasks accepted in the window, how many waited at most QUICK_ANSWER_SECONDS
   * (`split_by_wait_time`); null when the statistics do not carry the split.
   */
  acceptedQuickly: number | null;
  /**
   * Whether the window's waits came from `wait_duration_*` objects. False when only
   * `avg_task_acceptance_time` was there (the lean field set of the spec's example): estimates from
   * it are of lower confidence.
   */
  waitDurationsReported: boolean;
  /** Mean in-queue wait of tasks accepted in the window (`wait_duration_in_queue_until_accepted.avg`). */
  avgWaitUntilAcceptedSeconds: number | null;
  tasksEntered: number | null;
  /** Tasks accepted by a worker in the window (`reservations_accepted`). */
  tasksAccepted: number | null;
  /** Tasks that left the queue unanswered in the window (`tasks_canceled`). */
  tasksCanceled: number | null;
  /** Total seconds waited by tasks canceled in the window (`wait_duration_until_canceled.total`). */
  totalWaitCanceledSeconds: number | null;
  /** Total seconds waited by tasks accepted in the window (`wait_duration_in_queue_until_accepted.total`). */
  totalWaitAcceptedSeconds: number | null;
}

export type Confidence = 'high' | 'low' | 'none';

/** Why an estimate is not of high confidence. */
export type EstimateReason =
  | 'no_eligible_workers'
  | 'all_agents_logged_out'
  | 'no_recent_acceptances'
  | 'few_recent_acceptances'
  | 'missing_statistics';

export interface WaitEstimate {
  /** Whole seconds a caller joining now is expected to wait; null when unknown. */
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
 * The default's tunable numbers. They were fit on the tuning scenarios only
 * (`npm run bench:accuracy -- --tune`); the validation scenarios are never used to choose them.
 */
export interface EstimatorParameters {
  /** How far the default moves from head of line towards queue length over throughput (0..1). */
  queueLengthWeight: number;
  /** Relative variance the range adds for what the statistics cannot tell (model error), ≥ 0. */
  rangeModelVariance: number;
}

export const DEFAULT_PARAMETERS: EstimatorParameters = { queueLengthWeight: 0.4, rangeModelVariance: 0.15 };

export const ESTIMATOR_NAMES = ['default', 'original', 'head-of-line', 'queue-length'] as const;
export type EstimatorName = (typeof ESTIMATOR_NAMES)[number];

/** Below this many acceptances in the window, throughput is too noisy to trust fully. */
const MIN_ACCEPTED_FOR_HIGH_CONFIDENCE = 10;

/** The wait threshold the refresher asks `SplitByWaitTime` for: what "less than a minute" promises. */
export const QUICK_ANSWER_SECONDS = 60;
/** Share of the window's accepted tasks that must have been answered within QUICK_ANSWER_SECONDS. */
const QUICK_SHARE_FOR_AT_ONCE = 0.9;
/** Without the split, the window's mean acceptance wait that still counts as "answered at once". */
const QUICK_MEAN_WAIT_SECONDS = 20;

const unknown = (reason: EstimateReason): WaitEstimate => ({ estimatedWaitSeconds: null, confidence: 'none', reason });

function known(seconds: number, confidence: Confidence, reason?: EstimateReason): WaitEstimate {
  const estimate: WaitEstimate = { estimatedWaitSeconds: Math.max(0, Math.round(seconds)), confidence };
  if (reason) estimate.reason = reason;
  return estimate;
}

/**
 * Nobody can take a task: no worker is eligible, or every eligible worker is in a logged-out Activity
 * (after hours). There is no wait to announce, only "no agents".
 */
function noAgents(o: QueueObservation): WaitEstimate | null {
  if (o.eligibleWorkers === 0) return unknown('no_eligible_workers');
  if (o.loggedInWorkers === 0) return unknown('all_agents_logged_out');
  return null;
}

/**
 * Nobody waiting, an Available worker, and evidence that tasks are being taken at once. Available alone
 * is not evidence: TaskRouter counts busy multitasking agents as Available. The evidence is the
 * window's own: at least QUICK_SHARE_FOR_AT_ONCE of accepted tasks answered within
 * QUICK_ANSWER_SECONDS (`split_by_wait_time`), or, without the split, a mean acceptance wait of at most
 * QUICK_MEAN_WAIT_SECONDS (a window with no acceptances has no counter-evidence); and an Available
 * worker that is free. In a single-tasking workspace every Available worker is free. In a multitasking
 * one, fewer of this queue's tasks must be in service (reserved, assigned, wrapping) than there are
 * Available workers, so at least one holds none of them; that also withholds the promise from a chat
 * desk whose agents hold several chats each. The accuracy benchmark chose this rule on the tuning
 * scenarios: it keeps "less than a minute" honest at no cost in RMSE there.
 */
function answeredAtOnce(o: QueueObservation): WaitEstimate | null {
  if (o.tasksWaiting !== 0 || (o.availableWorkers ?? 0) === 0) return null;
  const accepted = o.tasksAccepted ?? 0;
  const quick =
    accepted === 0 ||
    (o.acceptedQuickly !== null
      ? o.acceptedQuickly >= QUICK_SHARE_FOR_AT_ONCE * accepted
      : o.avgWaitUntilAcceptedSeconds !== null && o.avgWaitUntilAcceptedSeconds <= QUICK_MEAN_WAIT_SECONDS);
  if (!quick) return null;
  const idleWorker = o.multitasking === false || (o.tasksInService !== null && o.tasksInService < o.availableWorkers!);
  if (!idleWorker) return null;
  return graded(o, 0);
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
 * The original project's estimate (and Twilio's samples'): the mean in-queue wait of the tasks
 * accepted in the window. Lags behind a queue that is filling up now.
 */
export function originalEstimate(o: QueueObservation): WaitEstimate {
  if (o.avgWaitUntilAcceptedSeconds === null || !o.tasksAccepted) return unknown('no_recent_acceptances');
  return graded(o, o.avgWaitUntilAcceptedSeconds);
}

/** Head of line: how long the oldest waiting task has waited so far. */
export function headOfLineEstimate(o: QueueObservation): WaitEstimate {
  const early = noAgents(o) ?? answeredAtOnce(o);
  if (early) return early;
  if (o.tasksWaiting === null || o.longestWaitSeconds === null) return unknown('missing_statistics');
  if (o.tasksWaiting === 0) return unknown('missing_statistics');
  return known(o.longestWaitSeconds, 'low');
}

/** Acceptances per second over the window; null when not reported. */
function throughputPerSecond(o: QueueObservation): number | null {
  if (o.tasksAccepted === null || o.windowSeconds <= 0) return null;
  return o.tasksAccepted / o.windowSeconds;
}

/**
 * Abandonment rate per waiting caller per second: tasks canceled over the seconds all callers spent
 * waiting in the window (the maximum-likelihood rate of exponential patience).
 */
function abandonmentPerSecond(o: QueueObservation): number {
  const waited = (o.totalWaitAcceptedSeconds ?? 0) + (o.totalWaitCanceledSeconds ?? 0);
  if (!o.tasksCanceled || waited <= 0) return 0;
  return o.tasksCanceled / waited;
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

/** Queue length over throughput: (tasks ahead + 1) served at the window's acceptance rate. */
export function queueLengthEstimate(o: QueueObservation): WaitEstimate {
  const early = noAgents(o) ?? answeredAtOnce(o);
  if (early) return early;
  const rate = throughputPerSecond(o);
  if (o.tasksWaiting === null || rate === null) return unknown('missing_statistics');
  if (rate <= 0) return unknown('no_recent_acceptances');
  return graded(o, queueLengthWait(o.tasksWaiting + 1, rate, abandonmentPerSecond(o)));
}

/**
 * The default, chosen by the accuracy benchmark (bench/accuracy.ts; numbers in the README):
 * - nobody eligible, or every eligible worker logged out: unknown ("no agents");
 * - nobody waiting, an Available worker and recent callers answered quickly: at once (answeredAtOnce);
 * - otherwise nobody waiting: the window's average wait (the next free slot is what the last callers
 *   waited for too);
 * - one caller waiting: how long that caller has waited (head of line);
 * - more waiting: head of line moved part of the way towards queue length over throughput, which sees
 *   a growing line sooner but overshoots when the window's throughput was limited by arrivals.
 * Confidence is low when the window saw few acceptances or only the lean statistics.
 */
export function defaultEstimate(o: QueueObservation, parameters: EstimatorParameters = DEFAULT_PARAMETERS): WaitEstimate {
  const early = noAgents(o) ?? answeredAtOnce(o);
  if (early) return early;
  return atLeastAMinute(waitingEstimate(o, parameters.queueLengthWeight));
}

/** The default's answer once "no agents" and "at once" are ruled out. */
function waitingEstimate(o: QueueObservation, queueLengthWeight: number): WaitEstimate {
  if (o.tasksWaiting === null) {
    const history = originalEstimate(o).estimatedWaitSeconds;
    return history === null ? unknown('missing_statistics') : known(history, 'low', 'missing_statistics');
  }
  if (o.tasksWaiting === 0) return originalEstimate(o);
  const head = headOfLineEstimate(o).estimatedWaitSeconds;
  if (head === null) return unknown('missing_statistics');
  const byLength = queueLengthEstimate(o).estimatedWaitSeconds;
  if (byLength === null) return graded(o, head);
  return graded(o, head + (byLength - head) * queueLengthWeight);
}

/**
 * "Less than a minute" is a promise; it is made only with the evidence answeredAtOnce asks for. Without
 * it (someone is waiting, or recent callers were not answered quickly enough), a shorter estimate is
 * raised to QUICK_ANSWER_SECONDS ("about 1 minute").
 */
function atLeastAMinute(estimate: WaitEstimate): WaitEstimate {
  if (estimate.estimatedWaitSeconds === null || estimate.estimatedWaitSeconds >= QUICK_ANSWER_SECONDS) return estimate;
  return { ...estimate, estimatedWaitSeconds: QUICK_ANSWER_SECONDS };
}

const ESTIMATORS: Record<EstimatorName, (o: QueueObservation, parameters: EstimatorParameters) => WaitEstimate> = {
  default: defaultEstimate,
  original: originalEstimate,
  'head-of-line': headOfLineEstimate,
  'queue-length': queueLengthEstimate,
};

/** The share of callers the range is meant to hold, and its tails. */
const RANGE_LOW_QUANTILE = 0.1;
const RANGE_HIGH_QUANTILE = 0.9;

/**
 * The predicted range of an estimate. A caller with k = (waiting + 1) departures ahead waits the sum
 * of k gaps between departures: a gamma with shape k and the estimate as its mean (Erlang for a
 * steady drain rate). What the statistics leave uncertain widens it: the rate is measured from A
 * acceptances (relative variance 1/A) and the model itself errs (`rangeModelVariance`), so the shape
 * used is 1 / (1/k + 1/A + model variance). "At once" means 0 to QUICK_ANSWER_SECONDS.
 */
export function waitRange(o: QueueObservation, estimate: WaitEstimate, parameters: EstimatorParameters = DEFAULT_PARAMETERS): WaitRange | null {
  const seconds = estimate.estimatedWaitSeconds;
  if (seconds === null) return null;
  if (seconds === 0) return { low: 0, high: QUICK_ANSWER_SECONDS };
  const shape = waitShape(o, parameters);
  return { low: Math.floor(gammaQuantile(RANGE_LOW_QUANTILE, shape, seconds)), high: Math.ceil(gammaQuantile(RANGE_HIGH_QUANTILE, shape, seconds)) };
}

/** The gamma shape of the wait model (see waitRange), rounded to two decimals as stored. */
function waitShape(o: QueueObservation, parameters: EstimatorParameters): number {
  const ahead = (o.tasksWaiting ?? 0) + 1;
  const accepted = Math.max(1, o.tasksAccepted ?? 0);
  return Math.round(100 / (1 / ahead + 1 / accepted + parameters.rangeModelVariance)) / 100;
}

/**
 * The expected remaining wait of a caller who has already waited `waitedSeconds`, under the same
 * model: the wait is a gamma with this shape and `estimateSeconds` as its mean, so the answer is
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

/** Estimate with the named estimator, its predicted range and the model's shape. */
export function estimateWait(name: EstimatorName, observation: QueueObservation, parameters: EstimatorParameters = DEFAULT_PARAMETERS): RangedEstimate {
  const estimate = ESTIMATORS[name](observation, parameters);
  const known = estimate.estimatedWaitSeconds !== null;
  return { ...estimate, waitRange: waitRange(observation, estimate, parameters), waitShape: known ? waitShape(observation, parameters) : null };
}
