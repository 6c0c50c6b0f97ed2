/**
 * Configuration: read and validate the whole environment once, report every problem at once, treat ""
 * as missing (GitHub passes unset secrets as empty strings), then hand typed config around.
 * Scripts pass `process.env`; Functions pass `context`.
 */
import { ConfigError } from './errors';
import { isSid } from './sids';
import type { EstimatorName } from './estimator';
import { ESTIMATOR_NAMES } from './estimator';
import { DEFAULT_SPEECH_STYLE, ENGLISH, parseSpeechWords, SPEECH_STYLES, type SpeechStyle, type SpeechWords } from './speech';

/** Any bag of string variables: `process.env` or a Functions `context`. */
export type EnvSource = Readonly<Record<string, unknown>>;

export const DEFAULT_TASKROUTER_API_URL = 'https://taskrouter.twilio.com';
export const DEFAULT_CHANNEL = 'voice';
/** The Activity a new TaskRouter workspace has for a logged-out worker. */
export const DEFAULT_LOGGED_OUT_ACTIVITIES: readonly string[] = ['Offline'];
/** Twilio's own hold music, public and free to use. */
export const DEFAULT_HOLD_MUSIC_URL = 'http://com.twilio.sounds.music.s3.amazonaws.com/MARKOVICHAMP-Borghestral.mp3';

/** Loopback hosts: the only ones a credential may reach over plain http. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Collects problems while reading variables, so all of them are reported together. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly source: EnvSource) {}

  /** The trimmed value, or undefined when unset or empty. */
  optional(name: string): string | undefined {
    const raw = this.source[name];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string') {
      this.problems.push(`${name} must be a string`);
      return undefined;
    }
    const value = raw.trim();
    return value === '' ? undefined : value;
  }

  /** An optional value that must match `pattern`; `shape` says what it should look like. */
  matching(name: string, pattern: RegExp, shape: string): string | undefined {
    const value = this.optional(name);
    if (value !== undefined && !pattern.test(value)) {
      this.problems.push(`${name} must be ${shape}`);
      return undefined;
    }
    return value;
  }

  required(name: string, hint: string): string | undefined {
    const value = this.optional(name);
    if (value === undefined) this.problems.push(`${name} is required (${hint})`);
    return value;
  }

  sid(name: string, prefix: 'AC' | 'WS' | 'WW' | 'SK', required: boolean): string | undefined {
    const value = required ? this.required(name, `a SID starting with ${prefix}`) : this.optional(name);
    if (value !== undefined && !isSid(value, prefix)) {
      this.problems.push(`${name} must be ${prefix} followed by 32 hex digits`);
      return undefined;
    }
    return value;
  }

  /** An http(s) URL; `carriesCredentials`: a secret travels to it, so plain http is refused unless the host is loopback. */
  url(name: string, required: boolean, fallback?: string, carriesCredentials = false): string | undefined {
    const value = required ? this.required(name, 'an http(s) URL') : (this.optional(name) ?? fallback);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.problems.push(`${name} must be an http(s) URL`);
      return undefined;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      this.problems.push(`${name} must be an http(s) URL`);
      return undefined;
    }
    if (parsed.username || parsed.password) {
      this.problems.push(`${name} must not carry credentials in the URL`);
      return undefined;
    }
    // Credentials travel to these hosts: plain http only to this machine (a local stand-in).
    if (carriesCredentials && parsed.protocol === 'http:' && !isLoopback(parsed.hostname)) {
      this.problems.push(`${name} must be an https:// URL (plain http:// is allowed only for loopback hosts such as 127.0.0.1 or localhost): credentials would travel in clear`);
      return undefined;
    }
    return value.replace(/\/+$/, '');
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      this.problems.push(`${name} must be a whole number between ${min} and ${max}`);
      return fallback;
    }
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      this.problems.push(`${name} must be a whole number between ${min} and ${max}`);
      return fallback;
    }
    return parsed;
  }

  optionalInteger(name: string, min: number, max: number): number | undefined {
    return this.optional(name) === undefined ? undefined : this.integer(name, 0, min, max);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of: ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (/^(1|true|yes)$/i.test(value)) return true;
    if (/^(0|false|no)$/i.test(value)) return false;
    this.problems.push(`${name} must be true or false`);
    return fallback;
  }

  channels(name: string): string[] {
    const value = this.optional(name) ?? DEFAULT_CHANNEL;
    const channels = [...new Set(value.split(',').map((channel) => channel.trim().toLowerCase()))];
    if (channels.some((channel) => !CHANNEL_PATTERN.test(channel))) {
      this.problems.push(`${name} must be a comma-separated list of task channel names (e.g. voice,chat)`);
      return [DEFAULT_CHANNEL];
    }
    return channels;
  }

  /** A comma-separated list of names (e.g. Activity friendly names), trimmed, none empty. */
  names(name: string, fallback: readonly string[]): string[] {
    const value = this.optional(name);
    if (value === undefined) return [...fallback];
    const names = value.split(',').map((item) => item.trim());
    if (names.some((item) => item === '' || item.length > 64)) {
      this.problems.push(`${name} must be a comma-separated list of names of 1 to 64 characters (e.g. Offline,Logged Out)`);
      return [...fallback];
    }
    return names;
  }

  speechWords(name: string): SpeechWords {
    const words = parseSpeechWords(this.optional(name));
    if (typeof words === 'string') {
      this.problems.push(words);
      return ENGLISH;
    }
    return words;
  }

  done<T>(config: T): T {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
    return config;
  }
}

/** TaskRouter channel unique names: lowercase letters, digits, `-` and `_`. */
export const CHANNEL_PATTERN = /^[a-z0-9_-]{1,64}$/;
/** TwiML <Say> voices: "alice", "man", "Polly.Lupe", "Polly.Joanna-Neural", "Google.es-ES-Standard-A". */
export const SAY_VOICE_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;
/** BCP 47 language tags as TwiML <Say> takes them: "en-US", "es-ES", "fr-CA". */
export const SAY_LANGUAGE_PATTERN = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/;

/** Where the snapshot lives, shared by the refresher and the Functions. */
export interface CacheConfig {
  /** Upstash REST URL, e.g. `https://eu1-xxx.upstash.io`. */
  url: string;
  /** Upstash REST token. Secret. */
  token: string;
  workspaceSid: string;
}

/** Credentials for the Twilio REST API: an auth token or an API key and secret. */
export interface TwilioCredentials {
  accountSid: string;
  /** Username for basic auth: the account SID or an API key SID. */
  username: string;
  /** Auth token or API secret. Secret. */
  password: string;
}

export interface RefresherConfig {
  /** null when the caller brings its own client (the scheduled refresh Function builds one from the runtime's credentials). */
  twilio: TwilioCredentials | null;
  cache: CacheConfig;
  taskRouterApiUrl: string;
  channels: string[];
  windowMinutes: number;
  estimator: EstimatorName;
  snapshotTtlSeconds: number;
  /** Bound on one whole refresh, retries included. */
  refreshTimeoutSeconds: number;
  requestTimeoutMs: number;
  /** Activity names that mean a worker is logged out (LOGGED_OUT_ACTIVITIES; TaskRouter's default: Offline). */
  loggedOutActivities: string[];
}

function readTwilioCredentials(env: EnvReader): TwilioCredentials | undefined {
  const accountSid = env.sid('TWILIO_ACCOUNT_SID', 'AC', true);
  const apiKey = env.sid('TWILIO_API_KEY', 'SK', false);
  const apiSecret = env.optional('TWILIO_API_SECRET');
  const authToken = env.optional('TWILIO_AUTH_TOKEN');
  if (apiKey !== undefined || apiSecret !== undefined) {
    if (apiKey === undefined) env.problems.push('TWILIO_API_KEY is required when TWILIO_API_SECRET is set');
    if (apiSecret === undefined) env.problems.push('TWILIO_API_SECRET is required when TWILIO_API_KEY is set');
    if (accountSid && apiKey && apiSecret) return { accountSid, username: apiKey, password: apiSecret };
    return undefined;
  }
  if (authToken === undefined) {
    env.problems.push('TWILIO_AUTH_TOKEN is required (or TWILIO_API_KEY and TWILIO_API_SECRET)');
    return undefined;
  }
  return accountSid ? { accountSid, username: accountSid, password: authToken } : undefined;
}

/** Where TaskRouter is and how long one request may take: the refresher's and the sync's. */
function readTaskRouterAccess(env: EnvReader): { taskRouterApiUrl: string; requestTimeoutMs: number } {
  return {
    taskRouterApiUrl: env.url('TASKROUTER_API_URL', false, DEFAULT_TASKROUTER_API_URL, true) ?? DEFAULT_TASKROUTER_API_URL,
    requestTimeoutMs: env.integer('TASKROUTER_REQUEST_TIMEOUT_MS', 15000, 100, 120000),
  };
}

function readCacheConfig(env: EnvReader): CacheConfig | undefined {
  const url = env.url('UPSTASH_REDIS_REST_URL', true, undefined, true);
  const token = env.required('UPSTASH_REDIS_REST_TOKEN', 'the REST token of the Upstash database');
  const workspaceSid = env.sid('TWILIO_WORKSPACE_SID', 'WS', true);
  return url && token && workspaceSid ? { url, token, workspaceSid } : undefined;
}

/** The refresher's configuration, from `process.env`. Throws ConfigError listing every problem. */
export function loadRefresherConfig(source: EnvSource, options: { requireCache?: boolean; requireCredentials?: boolean } = {}): RefresherConfig {
  const env = new EnvReader(source);
  const twilio = options.requireCredentials === false ? null : readTwilioCredentials(env);
  // A dry run writes nothing, so it needs no Upstash credentials, only the workspace.
  const cache =
    options.requireCache === false
      ? { url: '', token: '', workspaceSid: env.sid('TWILIO_WORKSPACE_SID', 'WS', true)! }
      : readCacheConfig(env);
  const config = {
    ...readTaskRouterAccess(env),
    channels: env.channels('TASK_CHANNELS'),
    windowMinutes: env.integer('STATISTICS_WINDOW_MINUTES', 15, 1, 43200),
    estimator: env.oneOf('ESTIMATOR', ESTIMATOR_NAMES, 'default'),
    snapshotTtlSeconds: env.integer('SNAPSHOT_TTL_SECONDS', 3600, 60, 7 * 24 * 3600),
    refreshTimeoutSeconds: env.integer('REFRESH_TIMEOUT_SECONDS', 120, 5, 3600),
    loggedOutActivities: env.names('LOGGED_OUT_ACTIVITIES', DEFAULT_LOGGED_OUT_ACTIVITIES),
  };
  return env.done({ ...config, twilio: twilio ?? null, cache: cache! });
}

/**
 * The account's own credentials, which the Functions runtime puts in `context` when the Service includes
 * them (twilio-run's deploy creates it so): the scheduled refresh builds its TaskRouter client from them.
 */
export function loadFunctionCredentials(source: EnvSource): TwilioCredentials {
  const env = new EnvReader(source);
  const hint = 'provided by the Functions runtime when the Service includes your credentials, as twilio-run deploys it';
  const accountSid = env.required('ACCOUNT_SID', hint);
  const authToken = env.required('AUTH_TOKEN', hint);
  if (accountSid !== undefined && !isSid(accountSid, 'AC')) env.problems.push('ACCOUNT_SID must be AC followed by 32 hex digits');
  return env.done({ accountSid: accountSid!, username: accountSid!, password: authToken! });
}

/** The QStash-scheduled refresh Function: its signing keys (Upstash console, QStash > Signing keys). */
export interface QStashConfig {
  currentSigningKey: string;
  nextSigningKey: string;
}

export function loadQStashConfig(source: EnvSource): QStashConfig {
  const env = new EnvReader(source);
  const currentSigningKey = env.required('QSTASH_CURRENT_SIGNING_KEY', 'the current signing key from the Upstash console');
  const nextSigningKey = env.required('QSTASH_NEXT_SIGNING_KEY', 'the next signing key from the Upstash console');
  return env.done({ currentSigningKey: currentSigningKey!, nextSigningKey: nextSigningKey! });
}

/** Where the cache is and nothing else: `npm run status`. */
export function loadCacheOnlyConfig(source: EnvSource): CacheConfig {
  const env = new EnvReader(source);
  const cache = readCacheConfig(env);
  return env.done(cache!);
}

export interface WorkflowSyncConfig {
  twilio: TwilioCredentials;
  workspaceSid: string;
  workflowSid: string;
  taskRouterApiUrl: string;
  requestTimeoutMs: number;
}

/** `npm run sync:workflow`'s configuration. */
export function loadWorkflowSyncConfig(source: EnvSource): WorkflowSyncConfig {
  const env = new EnvReader(source);
  const twilio = readTwilioCredentials(env);
  const workspaceSid = env.sid('TWILIO_WORKSPACE_SID', 'WS', true);
  const workflowSid = env.sid('TWILIO_WORKFLOW_SID', 'WW', true);
  return env.done({ twilio: twilio!, workspaceSid: workspaceSid!, workflowSid: workflowSid!, ...readTaskRouterAccess(env) });
}

/** SAY_VOICE and SAY_LANGUAGE: one voice for hold music's <Say> and the Studio flow's. */
function readSayVoice(env: EnvReader): { sayVoice: string | undefined; sayLanguage: string | undefined } {
  return {
    sayVoice: env.matching('SAY_VOICE', SAY_VOICE_PATTERN, 'a TwiML <Say> voice such as Polly.Lupe or Google.es-ES-Standard-A'),
    sayLanguage: env.matching('SAY_LANGUAGE', SAY_LANGUAGE_PATTERN, 'a language tag such as es-ES'),
  };
}

/** `npm run flow`'s configuration: the account, the Workflow the flow enqueues into, and the flow's voice. */
export interface FlowConfig {
  twilio: TwilioCredentials;
  workflowSid: string;
  /** The first of TASK_CHANNELS: the channel the flow asks get-queue-times and hold-music about. */
  channel: string;
  sayVoice: string | undefined;
  sayLanguage: string | undefined;
  apiKey: string | undefined;
}

export function loadFlowConfig(source: EnvSource): FlowConfig {
  const env = new EnvReader(source);
  const twilio = readTwilioCredentials(env);
  const workflowSid = env.sid('TWILIO_WORKFLOW_SID', 'WW', true);
  const config = {
    channel: env.channels('TASK_CHANNELS')[0] ?? DEFAULT_CHANNEL,
    ...readSayVoice(env),
    apiKey: env.optional('WAIT_TIME_API_KEY'),
  };
  return env.done({ ...config, twilio: twilio!, workflowSid: workflowSid! });
}

/** What the wait-time Functions read from `context`. */
export interface WaitTimeConfig {
  cache: CacheConfig;
  /** Bound on the one Redis read, so Studio gets an answer well within its 10 s. */
  cacheTimeoutMs: number;
  /** Served with `status: "fallback"` when the cache is unreachable; undefined means answer 503. */
  defaultWaitTime: number | undefined;
  staleAfterSeconds: number;
  callbackThresholdSeconds: number | undefined;
  speechStyle: SpeechStyle;
  /** The words phrases are made of: English, or SPEECH_WORDS' overrides (see src/speech.ts). */
  speechWords: SpeechWords;
  /** The <Say> voice and language for hold music (and the Studio flow `npm run flow` writes); undefined: Twilio's default. */
  sayVoice: string | undefined;
  sayLanguage: string | undefined;
  /** When set, get-queue-times requires `key` equal to it. Secret. */
  apiKey: string | undefined;
  holdMusicUrl: string;
  /** Length of the HOLD_MUSIC_URL clip, seconds, when known: the loop plays it round(interval / length) times per cycle. */
  holdMusicSeconds: number | undefined;
  /** Seconds a warm container reuses a queue's cached answer (0: every request reads Redis). */
  localCacheSeconds: number;
  /** Seconds of waiting between two announcements in the hold loop. */
  announceEverySeconds: number;
  /** The lowest remaining wait a caller already waiting is told, in seconds. */
  minimumAnnouncedSeconds: number;
}

/** The Functions' configuration from `context`. Throws ConfigError listing every problem. */
export function loadWaitTimeConfig(source: EnvSource): WaitTimeConfig {
  const env = new EnvReader(source);
  const cache = readCacheConfig(env);
  const config = {
    cacheTimeoutMs: env.integer('CACHE_TIMEOUT_MS', 2000, 100, 8000),
    defaultWaitTime: env.optionalInteger('DEFAULT_WAIT_TIME', 0, 24 * 3600),
    staleAfterSeconds: env.integer('STALE_AFTER_SECONDS', 300, 10, 7 * 24 * 3600),
    callbackThresholdSeconds: env.optionalInteger('CALLBACK_THRESHOLD_SECONDS', 0, 24 * 3600),
    speechStyle: env.oneOf('SPEECH_STYLE', SPEECH_STYLES, DEFAULT_SPEECH_STYLE),
    speechWords: env.speechWords('SPEECH_WORDS'),
    ...readSayVoice(env),
    apiKey: env.optional('WAIT_TIME_API_KEY'),
    holdMusicUrl: env.url('HOLD_MUSIC_URL', false, DEFAULT_HOLD_MUSIC_URL) ?? DEFAULT_HOLD_MUSIC_URL,
    holdMusicSeconds: env.optionalInteger('HOLD_MUSIC_SECONDS', 1, 3600),
    localCacheSeconds: env.integer('LOCAL_CACHE_SECONDS', 0, 0, 300),
    announceEverySeconds: env.integer('ANNOUNCE_EVERY_SECONDS', 60, 10, 3600),
    minimumAnnouncedSeconds: env.integer('MINIMUM_ANNOUNCED_SECONDS', 60, 0, 3600),
  };
  // Twilio plays a whole <Play> before anything else: a longer clip would stretch every interval.
  if (config.holdMusicSeconds !== undefined && config.holdMusicSeconds > config.announceEverySeconds) {
    env.problems.push(`HOLD_MUSIC_SECONDS (${config.holdMusicSeconds}) must not exceed ANNOUNCE_EVERY_SECONDS (${config.announceEverySeconds}): Twilio plays a whole clip before the next announcement`);
  }
  return env.done({ ...config, cache: cache! });
}

/** What X-Twilio-Signature checking in code needs (protected Functions on hosts other than Twilio's). */
export interface SignatureConfig {
  validateSignature: boolean;
  authToken: string | undefined;
}

export function loadSignatureConfig(source: EnvSource): SignatureConfig {
  const env = new EnvReader(source);
  const validateSignature = env.boolean('VALIDATE_SIGNATURE', false);
  const authToken = env.optional('AUTH_TOKEN');
  if (validateSignature && authToken === undefined) env.problems.push('VALIDATE_SIGNATURE needs AUTH_TOKEN (the account auth token, which the runtime provides) to check signatures');
  return env.done({ validateSignature, authToken });
}
