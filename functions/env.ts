/** Every variable the Functions read from `context` (see .env.example for each one's meaning). */
export type Env = {
  TWILIO_WORKSPACE_SID: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  CACHE_TIMEOUT_MS?: string;
  DEFAULT_WAIT_TIME?: string;
  STALE_AFTER_SECONDS?: string;
  CALLBACK_THRESHOLD_SECONDS?: string;
  SPEECH_STYLE?: string;
  SPEECH_WORDS?: string;
  WAIT_TIME_API_KEY?: string;
  HOLD_MUSIC_URL?: string;
  HOLD_MUSIC_SECONDS?: string;
  LOCAL_CACHE_SECONDS?: string;
  ANNOUNCE_EVERY_SECONDS?: string;
  MINIMUM_ANNOUNCED_SECONDS?: string;
  VALIDATE_SIGNATURE?: string;
  AUTH_TOKEN?: string;
  TWILIO_AUTH_TOKEN?: string;
  /** refresh-queue-times (the QStash-scheduled refresh). */
  QSTASH_CURRENT_SIGNING_KEY?: string;
  QSTASH_NEXT_SIGNING_KEY?: string;
  TASK_CHANNELS?: string;
  STATISTICS_WINDOW_MINUTES?: string;
  ESTIMATOR?: string;
  LOGGED_OUT_ACTIVITIES?: string;
  SNAPSHOT_TTL_SECONDS?: string;
  REFRESH_TIMEOUT_SECONDS?: string;
  TASKROUTER_REQUEST_TIMEOUT_MS?: string;
  /** Development only: a loopback TaskRouter double instead of https://taskrouter.twilio.com. */
  TASKROUTER_API_URL?: string;
};

/** What a handler receives: query and body parameters (strings, or anything a JSON body held) and the request. */
export type Event = Record<string, unknown> & { request: { cookies: {}; headers: {} } };
