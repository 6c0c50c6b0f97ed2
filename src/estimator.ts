/**
 * Wait-time estimators: pure functions of one queue's statistics. Every input may be null (the
 * TaskRouter API marks nothing as required), and an estimator that cannot answer says so with a
 * reason instead of answering 0.
 */

/** One queue's statistics as the refresher read them, in seconds and counts. null = not reported. */
export interface QueueObservation {
  /** Length of the cumulative window, seconds. */
  windowSeconds: number;
  /** Tasks waiting for a worker now (`tasks_by_status.pending`). */
  tasksWaiting: number | null;
  /** How long the oldest waiting task has been in this queue (`longest_relative_task_age_in_queue`). */
  longestWaitSeconds: number | null;
  availableWorkers: number | null;
  eligibleWorkers: number | null;
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
  | 'no_recent_acceptances'
  | 'few_recent_acceptances'
  | 'missing_statistics';

export interface WaitEstimate {
  /** Whole seconds a caller joining now is expected to wait; null when unknown. */
  estimatedWaitSeconds: number | null;
  confidence: Confidence;
  reason?: EstimateReason;
}

export const ESTIMATOR_NAMES = ['default', 'original', 'head-of-line', 'queue-length'] as const;
export type EstimatorName = (typeof ESTIMATOR_NAMES)[number];

/** Below this many acceptances in the window, throughput is too noisy to trust fully. */
const MIN_ACCEPTED_FOR_HIGH_CONFIDENCE = 10;

const unknown = (reason: EstimateReason): WaitEstimate => ({ estimatedWaitSeconds: null, confidence: 'none', reason });

function known(seconds: number, confidence: Confidence, reason?: EstimateReason): WaitEstimate {
  const estimate: WaitEstimate = { estimatedWaitSeconds: Math.max(0, Math.round(seconds)), confidence };
  if (reason) estimate.reason = reason;
  return estimate;
}

/** Nobody can take a task: there is no wait to announce, only "we don't know". */
function noEligibleWorkers(o: QueueObservation): boolean {
  return o.eligibleWorkers === 0;
}

/** Idle eligible workers and nobody waiting: a task is taken almost at once. */
function answeredAtOnce(o: QueueObservation): boolean {
  return o.tasksWaiting === 0 && (o.availableWorkers ?? 0) > 0;
}

/**
 * The original project's estimate (and Twilio's samples'): the mean in-queue wait of the tasks
 * accepted in the window. Lags behind a queue that is filling up now.
 */
export function originalEstimate(o: QueueObservation): WaitEstimate {
  if (o.avgWaitUntilAcceptedSeconds === null || !o.tasksAccepted) return unknown('no_recent_acceptances');
  return known(o.avgWaitUntilAcceptedSeconds, o.tasksAccepted >= MIN_ACCEPTED_FOR_HIGH_CONFIDENCE ? 'high' : 'low', o.tasksAccepted >= MIN_ACCEPTED_FOR_HIGH_CONFIDENCE ? undefined : 'few_recent_acceptances');
}

/** Head of line: how long the oldest waiting task has waited so far. */
export function headOfLineEstimate(o: QueueObservation): WaitEstimate {
  if (noEligibleWorkers(o)) return unknown('no_eligible_workers');
  if (answeredAtOnce(o)) return known(0, 'high');
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
  if (noEligibleWorkers(o)) return unknown('no_eligible_workers');
  if (answeredAtOnce(o)) return known(0, 'high');
  const rate = throughputPerSecond(o);
  if (o.tasksWaiting === null || rate === null) return unknown('missing_statistics');
  if (rate <= 0) return unknown('no_recent_acceptances');
  const seconds = queueLengthWait(o.tasksWaiting + 1, rate, abandonmentPerSecond(o));
  const enough = (o.tasksAccepted ?? 0) >= MIN_ACCEPTED_FOR_HIGH_CONFIDENCE;
  return known(seconds, enough ? 'high' : 'low', enough ? undefined : 'few_recent_acceptances');
}

/** How far the default moves from the head of line towards queue length over throughput (tuned by bench:accuracy). */
const QUEUE_LENGTH_WEIGHT = 0.4;

/**
 * The default, chosen by the accuracy benchmark (bench/accuracy.ts; numbers in the README):
 * - nobody eligible: unknown; idle workers and nobody waiting: answered at once;
 * - everyone busy, nobody waiting: the window's average wait (the next free worker is what the last
 *   callers waited for too);
 * - one caller waiting: how long that caller has waited (head of line);
 * - more waiting: head of line moved part of the way towards queue length over throughput, which sees
 *   a growing line sooner but overshoots when the window's throughput was limited by arrivals.
 * Confidence is low when the window saw few acceptances.
 */
export function defaultEstimate(o: QueueObservation): WaitEstimate {
  if (noEligibleWorkers(o)) return unknown('no_eligible_workers');
  if (answeredAtOnce(o)) return known(0, 'high');
  if (o.tasksWaiting === null) {
    const history = originalEstimate(o).estimatedWaitSeconds;
    return history === null ? unknown('missing_statistics') : known(history, 'low', 'missing_statistics');
  }
  const fewAccepted = (o.tasksAccepted ?? 0) < MIN_ACCEPTED_FOR_HIGH_CONFIDENCE;
  const graded = (seconds: number) => (fewAccepted ? known(seconds, 'low', (o.tasksAccepted ?? 0) === 0 ? 'no_recent_acceptances' : 'few_recent_acceptances') : known(seconds, 'high'));
  if (o.tasksWaiting === 0) {
    const history = originalEstimate(o);
    return history.estimatedWaitSeconds === null ? history : graded(history.estimatedWaitSeconds);
  }
  const head = headOfLineEstimate(o).estimatedWaitSeconds;
  if (head === null) return unknown('missing_statistics');
  const byLength = queueLengthEstimate(o).estimatedWaitSeconds;
  if (o.tasksWaiting === 1 || byLength === null) return graded(head);
  return graded(head + (byLength - head) * QUEUE_LENGTH_WEIGHT);
}

const ESTIMATORS: Record<EstimatorName, (o: QueueObservation) => WaitEstimate> = {
  default: defaultEstimate,
  original: originalEstimate,
  'head-of-line': headOfLineEstimate,
  'queue-length': queueLengthEstimate,
};

/** Estimate with the named estimator. */
export function estimateWait(name: EstimatorName, observation: QueueObservation): WaitEstimate {
  return ESTIMATORS[name](observation);
}
