/**
 * What the Functions read, and so all that a deploy uploads, written so that twilio-run carries every
 * value byte for byte. Both deploy commands read the same file: `npm run deploy` passes it, and
 * `.twilioserverlessrc` points `twilio serverless:deploy` (twilio-run's deploy) at it
 * (`commands.deploy.env`), so the refresher's secrets in `.env` (TWILIO_AUTH_TOKEN, TWILIO_API_KEY,
 * TWILIO_API_SECRET) reach neither. functions/env.ts derives the handlers' `Env` type from the list.
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
  'SAY_VOICE',
  'SAY_LANGUAGE',
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

/** Where the build writes the Functions' variables for both deploy commands (see .twilioserverlessrc). */
export const FUNCTIONS_ENV_FILE = 'dist/functions.env';

/** Twilio refuses environment variable values longer than this (bytes). */
export const MAX_VALUE_BYTES = 450;

/** The deployed keys that have a value, from the merged environment. */
export function deployedEnvironment(values: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(DEPLOYED_VARIABLES.flatMap((key) => (values[key] ? [[key, values[key]!]] : [])));
}

/**
 * One `KEY=value` line that twilio-run's env reader (dotenv 6.2) reads back as exactly `value`, or why
 * no line can. dotenv 6.2 reads a line up to the first line terminator, turns `\n` into a newline
 * inside double quotes, drops one leading and one trailing quote character, then trims spaces. So a
 * value is written bare, or between single quotes when it starts or ends with a quote; and one that
 * holds a line break or starts or ends with a space cannot be carried.
 */
export function twilioRunLine(key: string, value: string): { line: string } | { problem: string } {
  if (/[\r\n\u2028\u2029]/.test(value)) return { problem: `${key} contains a line break, which twilio-run's .env reader cannot carry` };
  if (value !== value.trim()) return { problem: `${key} starts or ends with a space, which twilio-run's .env reader trims` };
  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_VALUE_BYTES) return { problem: `${key} is ${bytes} bytes; Twilio takes at most ${MAX_VALUE_BYTES} per environment variable` };
  return { line: /^['"]|['"]$/.test(value) ? `${key}='${value}'` : `${key}=${value}` };
}

/** The env file both deploy commands read: one line per deployed variable, and what could not be written. */
export function functionsEnvFile(values: Record<string, string | undefined>): { text: string; uploaded: Record<string, string>; problems: string[] } {
  const uploaded = deployedEnvironment(values);
  const lines = ['# Written by npm run build from .env: only what the Functions read (src/deploy/variables.ts).'];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(uploaded)) {
    const result = twilioRunLine(key, value);
    if ('line' in result) lines.push(result.line);
    else problems.push(result.problem);
  }
  return { text: `${lines.join('\n')}\n`, uploaded, problems };
}
