import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as config from '../src/config';
import { loadFunctionCredentials, loadRefresherConfig, loadSignatureConfig, loadWaitTimeConfig, loadWorkflowSyncConfig, type EnvSource } from '../src/config';
import { ConfigError } from '../src/errors';

const ACCOUNT = 'AC' + 'a'.repeat(32);
const WORKSPACE = 'WS' + 'b'.repeat(32);
const valid = {
  TWILIO_ACCOUNT_SID: ACCOUNT,
  TWILIO_AUTH_TOKEN: 'secret-auth-token-value',
  TWILIO_WORKSPACE_SID: WORKSPACE,
  UPSTASH_REDIS_REST_URL: 'https://example.upstash.io',
  UPSTASH_REDIS_REST_TOKEN: 'secret-upstash-token',
};

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('refresher configuration', () => {
  it('reads a valid environment with defaults', () => {
    const config = loadRefresherConfig(valid);
    expect(config.twilio).toEqual({ accountSid: ACCOUNT, username: ACCOUNT, password: 'secret-auth-token-value' });
    expect(config.taskRouterApiUrl).toBe('https://taskrouter.twilio.com');
    expect(config.channels).toEqual(['voice']);
    expect(config.windowMinutes).toBe(15);
    expect(config.estimator).toBe('default');
  });

  it('reports every problem at once, naming each variable, treating "" as missing', () => {
    const problems = problemsOf(() => loadRefresherConfig({ TWILIO_ACCOUNT_SID: 'ACnope', TWILIO_AUTH_TOKEN: '', TWILIO_WORKSPACE_SID: '', UPSTASH_REDIS_REST_URL: 'ftp://x', STATISTICS_WINDOW_MINUTES: 'ten', TASK_CHANNELS: 'voice,CH AT' }));
    expect(problems.join('\n')).toMatch(/TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits/);
    expect(problems.join('\n')).toMatch(/TWILIO_AUTH_TOKEN is required/);
    expect(problems.join('\n')).toMatch(/TWILIO_WORKSPACE_SID is required/);
    expect(problems.join('\n')).toMatch(/UPSTASH_REDIS_REST_URL must be an http\(s\) URL/);
    expect(problems.join('\n')).toMatch(/UPSTASH_REDIS_REST_TOKEN is required/);
    expect(problems.join('\n')).toMatch(/STATISTICS_WINDOW_MINUTES must be a whole number/);
    expect(problems.join('\n')).toMatch(/TASK_CHANNELS/);
    expect(problems).toHaveLength(7);
  });

  it('accepts an API key and secret instead of the auth token, and wants both', () => {
    const key = 'SK' + 'c'.repeat(32);
    const { TWILIO_AUTH_TOKEN: _unused, ...rest } = valid;
    expect(loadRefresherConfig({ ...rest, TWILIO_API_KEY: key, TWILIO_API_SECRET: 's3cret' }).twilio).toEqual({ accountSid: ACCOUNT, username: key, password: 's3cret' });
    expect(problemsOf(() => loadRefresherConfig({ ...rest, TWILIO_API_KEY: key }))).toEqual(['TWILIO_API_SECRET is required when TWILIO_API_KEY is set']);
  });

  it('never echoes a secret value in its messages', () => {
    const error = (() => {
      try {
        loadRefresherConfig({ ...valid, UPSTASH_REDIS_REST_URL: 'https://user:secret-in-url@example.io', TWILIO_WORKSPACE_SID: 'secret-auth-token-value' });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error.message).not.toMatch(/secret/);
    expect(error.message).toMatch(/must not carry credentials/);
  });

  it('needs no Upstash variables for a dry run', () => {
    const { UPSTASH_REDIS_REST_URL: _u, UPSTASH_REDIS_REST_TOKEN: _t, ...rest } = valid;
    expect(loadRefresherConfig(rest, { requireCache: false }).cache.workspaceSid).toBe(WORKSPACE);
    expect(problemsOf(() => loadRefresherConfig(rest))).toHaveLength(2);
  });

  it('checks the workflow sync variables', () => {
    expect(problemsOf(() => loadWorkflowSyncConfig({ ...valid, TWILIO_WORKFLOW_SID: 'WQ' + 'd'.repeat(32) }))).toEqual(['TWILIO_WORKFLOW_SID must be WW followed by 32 hex digits']);
  });
});

describe('Functions configuration', () => {
  it('parses numbers and options and rejects bad ones together', () => {
    const config = loadWaitTimeConfig({ ...valid, DEFAULT_WAIT_TIME: '120', SPEECH_STYLE: 'range', CACHE_TIMEOUT_MS: '1500' });
    expect(config.defaultWaitTime).toBe(120);
    expect(config.speechStyle).toBe('range');
    expect(config.cacheTimeoutMs).toBe(1500);
    const problems = problemsOf(() => loadWaitTimeConfig({ ...valid, DEFAULT_WAIT_TIME: '-3', SPEECH_STYLE: 'poetic', CACHE_TIMEOUT_MS: '20000', SPEECH_WORDS: '{"aboutMinutes": 5}' }));
    expect(problems).toEqual([
      'CACHE_TIMEOUT_MS must be a whole number between 100 and 8000',
      'DEFAULT_WAIT_TIME must be a whole number between 0 and 86400',
      'SPEECH_STYLE must be one of: approximate, less-than, range',
      'SPEECH_WORDS.aboutMinutes must be a non-empty string',
    ]);
    expect(loadWaitTimeConfig({ ...valid, SPEECH_WORDS: '{"aboutMinutes": "unos {n} minutos"}' }).speechWords.aboutMinutes).toBe('unos {n} minutos');
  });

  it('demands an auth token when signatures are validated in code', () => {
    // The refresher's TWILIO_AUTH_TOKEN is not the Functions' business (never uploaded): only the runtime's AUTH_TOKEN counts.
    expect(problemsOf(() => loadSignatureConfig({ ...valid, VALIDATE_SIGNATURE: 'true' }))).toEqual(['VALIDATE_SIGNATURE needs AUTH_TOKEN (the account auth token, which the runtime provides) to check signatures']);
    expect(loadSignatureConfig({ VALIDATE_SIGNATURE: 'true', AUTH_TOKEN: 'runtime-token' })).toEqual({ validateSignature: true, authToken: 'runtime-token' });
    expect(problemsOf(() => loadSignatureConfig({ VALIDATE_SIGNATURE: 'maybe' }))).toEqual(['VALIDATE_SIGNATURE must be true or false']);
    expect(loadSignatureConfig({})).toEqual({ validateSignature: false, authToken: undefined });
  });
});

describe('transport: where credentials may travel', () => {
  it('refuses plain http for TaskRouter and Upstash unless the host is loopback', () => {
    const problems = problemsOf(() => loadRefresherConfig({ ...valid, TASKROUTER_API_URL: 'http://taskrouter.example.com', UPSTASH_REDIS_REST_URL: 'http://10.0.0.5:8080' }));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^TASKROUTER_API_URL must be an https:\/\/ URL/), expect.stringMatching(/^UPSTASH_REDIS_REST_URL must be an https:\/\/ URL/)]));
    for (const url of ['http://127.0.0.1:4010', 'http://localhost:4010', 'http://[::1]:4010', 'https://taskrouter.example.com']) {
      expect(loadRefresherConfig({ ...valid, TASKROUTER_API_URL: url }).taskRouterApiUrl).toBe(url);
    }
  });

  it('leaves URLs that carry no credential alone (the hold music may be http)', () => {
    expect(loadWaitTimeConfig({ ...valid, HOLD_MUSIC_URL: 'http://music.example.com/track.mp3' }).holdMusicUrl).toBe('http://music.example.com/track.mp3');
  });

  it('reads LOGGED_OUT_ACTIVITIES as a list of names', () => {
    expect(loadRefresherConfig(valid).loggedOutActivities).toEqual(['Offline']);
    expect(loadRefresherConfig({ ...valid, LOGGED_OUT_ACTIVITIES: 'Offline, Logged Out ' }).loggedOutActivities).toEqual(['Offline', 'Logged Out']);
    expect(problemsOf(() => loadRefresherConfig({ ...valid, LOGGED_OUT_ACTIVITIES: 'Offline,,' }))).toEqual([expect.stringMatching(/^LOGGED_OUT_ACTIVITIES must be a comma-separated list/)]);
  });
});

describe('hold music', () => {
  const functionsEnv = { UPSTASH_REDIS_REST_URL: 'https://example.upstash.io', UPSTASH_REDIS_REST_TOKEN: 't', TWILIO_WORKSPACE_SID: WORKSPACE };
  it('refuses a clip longer than the announcement interval, naming both', () => {
    expect(problemsOf(() => loadWaitTimeConfig({ ...functionsEnv, HOLD_MUSIC_SECONDS: '90', ANNOUNCE_EVERY_SECONDS: '60' }))).toEqual([expect.stringMatching(/^HOLD_MUSIC_SECONDS \(90\) must not exceed ANNOUNCE_EVERY_SECONDS \(60\)/)]);
    expect(loadWaitTimeConfig({ ...functionsEnv, HOLD_MUSIC_SECONDS: '20' }).holdMusicSeconds).toBe(20);
  });

  it('reads SAY_VOICE and SAY_LANGUAGE for <Say>, and refuses what TwiML would not take', () => {
    expect(loadWaitTimeConfig({ ...functionsEnv, SAY_VOICE: 'Polly.Lupe', SAY_LANGUAGE: 'es-US' })).toMatchObject({ sayVoice: 'Polly.Lupe', sayLanguage: 'es-US' });
    expect(problemsOf(() => loadWaitTimeConfig({ ...functionsEnv, SAY_VOICE: 'Polly "Lupe"', SAY_LANGUAGE: 'spanish' }))).toEqual([expect.stringMatching(/^SAY_VOICE must be a TwiML <Say> voice/), expect.stringMatching(/^SAY_LANGUAGE must be a language tag/)]);
  });

  it('takes the scheduled refresh\'s credentials from what the runtime provides, naming both when missing', () => {
    const accountSid = `AC${'a'.repeat(32)}`;
    expect(loadFunctionCredentials({ ACCOUNT_SID: accountSid, AUTH_TOKEN: 'token' })).toEqual({ accountSid, username: accountSid, password: 'token' });
    expect(problemsOf(() => loadFunctionCredentials({}))).toEqual([expect.stringMatching(/^ACCOUNT_SID is required \(provided by the Functions runtime/), expect.stringMatching(/^AUTH_TOKEN is required/)]);
  });
});

describe('.env.example, the one place every variable is documented', () => {
  it('documents every variable a configuration loader reads, and documents none that none reads', () => {
    const documented = [...readFileSync(join(__dirname, '..', '.env.example'), 'utf8').matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]!);
    const read = new Set<string>();
    const recording = (values: Record<string, unknown>) =>
      new Proxy(values, {
        get(target, key) {
          if (typeof key === 'string') read.add(key);
          return target[key as string];
        },
      });
    const loaders = Object.entries(config).filter(([name, value]) => name.startsWith('load') && typeof value === 'function') as [string, (source: EnvSource) => unknown][];
    expect(loaders.length).toBeGreaterThanOrEqual(8);
    // Unset, then every documented variable set (to a value no loader accepts): variables read only
    // when another is set are read the second time. Each loader's refusal is expected here.
    for (const values of [{}, Object.fromEntries(documented.map((name) => [name, 'x']))]) {
      for (const [, load] of loaders) {
        try {
          load(recording(values));
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
        }
      }
    }
    // ACCOUNT_SID and AUTH_TOKEN are what Twilio's runtime gives a Function, not a setting of .env.
    expect([...read].filter((name) => !documented.includes(name)).sort()).toEqual(['ACCOUNT_SID', 'AUTH_TOKEN']);
    expect(documented.filter((name) => !read.has(name))).toEqual([]);
  });
});
