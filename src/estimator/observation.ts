/**
 * One queue's statistics on one channel as the refresher read them, normalised. Every field may be
 * null: the TaskRouter API marks nothing as required.
 */

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

/** The wait threshold the refresher asks `SplitByWaitTime` for: what "less than a minute" promises. */
export const QUICK_ANSWER_SECONDS = 60;
