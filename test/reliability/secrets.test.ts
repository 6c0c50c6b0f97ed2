/**
 * No secret in any output: every command and every Function runs with known secret values, and all
 * their output (logs, error bodies, the step summary) is searched for them.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFunctions } from '../../dev/local-stack';
import { staticWorkspace } from '../../dev/workspace-model';
import { startTestStack, type TestStack } from '../helpers';
import { record } from './report';

const root = join(__dirname, '..', '..');
const SECRETS = {
  TWILIO_AUTH_TOKEN: 'SECRET-auth-token-7f3a1c',
  UPSTASH_REDIS_REST_TOKEN: 'SECRET-upstash-token-91be',
  TWILIO_API_SECRET: 'SECRET-api-secret-55c1d0',
  WAIT_TIME_API_KEY: 'SECRET-wait-key-0d2e77',
};
const model = staticWorkspace({ queueCount: 20, seed: 5 });
let stack: TestStack;
let dir: string;

beforeAll(async () => {
  stack = await startTestStack({ model, authToken: SECRETS.TWILIO_AUTH_TOKEN, upstashToken: SECRETS.UPSTASH_REDIS_REST_TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'qwt-secrets-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await stack.stop();
});

/** Runs a script with tsx; resolves with everything it printed, whatever its exit code. */
function script(file: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, file), ...args], { env: { PATH: process.env['PATH']!, ...env } }, (error, stdout, stderr) => resolve(`${stdout}${stderr}${error ? `exit ${error.code}` : ''}`));
  });
}

it('keeps every secret out of every command\'s and Function\'s output', async () => {
  const summary = join(dir, 'summary.md');
  const env = { ...stack.env, WAIT_TIME_API_KEY: SECRETS.WAIT_TIME_API_KEY };
  const apiKeyEnv = { ...env, TWILIO_AUTH_TOKEN: '', TWILIO_API_KEY: `SK${'a'.repeat(32)}`, TWILIO_API_SECRET: SECRETS.TWILIO_API_SECRET };
  const outputs: string[] = [];
  outputs.push(await script('scripts/refresh-queue-times.ts', [], { ...env, GITHUB_STEP_SUMMARY: summary }));
  outputs.push(readFileSync(summary, 'utf8'));
  outputs.push(await script('scripts/refresh-queue-times.ts', ['--dry-run'], env));
  outputs.push(await script('scripts/refresh-queue-times.ts', [], { ...env, TASKROUTER_API_URL: 'http://127.0.0.1:9', REFRESH_TIMEOUT_SECONDS: '5' }));
  outputs.push(await script('scripts/refresh-queue-times.ts', [], { ...env, UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' }));
  outputs.push(await script('scripts/refresh-queue-times.ts', [], apiKeyEnv)); // the double refuses the key: 401
  outputs.push(await script('scripts/refresh-queue-times.ts', [], { ...env, TWILIO_WORKSPACE_SID: SECRETS.TWILIO_AUTH_TOKEN, UPSTASH_REDIS_REST_URL: `https://user:${SECRETS.UPSTASH_REDIS_REST_TOKEN}@example.invalid` }));
  outputs.push(await script('scripts/sync-workflow-config.ts', ['--out', join(dir, 'asset.json')], env));
  outputs.push(await script('scripts/sync-workflow-config.ts', ['--out', join(dir, 'asset.json')], apiKeyEnv));

  const functions = await startFunctions(env);
  const down = await startFunctions({ ...env, UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' });
  try {
    const sid = model.queues()[1]!.sid;
    // The key goes in a POST body, as the README says: URLs end up in access logs (twilio-run prints them).
    const post = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    const calls: [string, RequestInit, number][] = [
      [`${functions.url}/get-queue-times?queueSid=${sid}`, {}, 401],
      [`${functions.url}/get-queue-times`, post({ queueSid: sid, key: 'wrong' }), 401],
      [`${functions.url}/get-queue-times`, post({ queueSid: sid, key: SECRETS.WAIT_TIME_API_KEY }), 200],
      [`${functions.url}/get-queue-times`, post({ queueSid: 'bad', key: SECRETS.WAIT_TIME_API_KEY }), 400],
      [`${down.url}/get-queue-times`, post({ queueSid: sid, key: SECRETS.WAIT_TIME_API_KEY }), 503],
      [`${functions.url}/hold-music?queueSid=${sid}`, {}, 200],
      [`${down.url}/hold-music?queueSid=${sid}`, {}, 200],
      [`${functions.url}/lookup-queue-sid?queueName=Support`, {}, 200],
    ];
    for (const [url, init, status] of calls) {
      const response = await fetch(url, init);
      const body = await response.text();
      expect(response.status).toBe(status);
      outputs.push(body);
    }
  } finally {
    await functions.stop();
    await down.stop();
  }
  outputs.push(functions.output(), down.output());

  const everything = outputs.join('\n');
  const leaked = Object.entries(SECRETS).filter(([, value]) => everything.includes(value)).map(([name]) => name);
  record({ kind: 'fault', area: 'Secrets', fault: 'known secrets searched in all output', survived: leaked.length === 0, dataLost: null, detail: leaked.length === 0 ? `none of ${Object.keys(SECRETS).length} secrets in ${everything.length} characters of output` : `LEAKED: ${leaked.join(', ')}` });
  expect(everything).toMatch(/"outcome":"written"/); // the runs really ran
  expect(everything).toMatch(/Authenticate/);
  expect(leaked).toEqual([]);
}, 120_000);
