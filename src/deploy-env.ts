/**
 * What the Functions read, and so all that deploy uploads. `npm run deploy` writes a temporary env
 * file with exactly these keys (the non-empty ones) for twilio-run, so the refresher's secrets in
 * `.env` (TWILIO_AUTH_TOKEN, TWILIO_API_KEY, TWILIO_API_SECRET) never reach the Functions.
 * functions/env.ts derives the handlers' `Env` type from this list.
 */
export const DEPLOYED_VARIABLES = [
  'TWILIO_WORKSPACE_SID',
  'UPSTASH_REDIS_REST_URL',
  'UPSTASH_REDIS_REST_TOKEN',
  'CACHE_TIMEOUT_MS',
  'DEFAULT_WAIT_TIME',
  'STALE_AFTER_SECONDS',
  'CALLBACK_THRESHOLD_SECONDS',
  'SPEECH_STYLE',
  'SPEECH_WORDS',
  'WAIT_TIME_API_KEY',
  'HOLD_MUSIC_URL',
  'HOLD_MUSIC_SECONDS',
  'LOCAL_CACHE_SECONDS',
  'ANNOUNCE_EVERY_SECONDS',
  'MINIMUM_ANNOUNCED_SECONDS',
  'VALIDATE_SIGNATURE',
  // refresh-queue-times, the QStash-scheduled refresh:
  'QSTASH_CURRENT_SIGNING_KEY',
  'QSTASH_NEXT_SIGNING_KEY',
  'TASK_CHANNELS',
  'STATISTICS_WINDOW_MINUTES',
  'ESTIMATOR',
  'LOGGED_OUT_ACTIVITIES',
  'SNAPSHOT_TTL_SECONDS',
  'REFRESH_TIMEOUT_SECONDS',
  'TASKROUTER_REQUEST_TIMEOUT_MS',
] as const;

export type DeployedVariable = (typeof DEPLOYED_VARIABLES)[number];

/** The deployed keys that have a value, from the merged environment. */
export function deployedEnvironment(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(DEPLOYED_VARIABLES.flatMap((key) => (values[key] ? [[key, values[key]!]] : [])));
}
