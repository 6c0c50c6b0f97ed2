/**
 * The deploy rehearsal: `npm run deploy` (twilio-run deploy) against a local stand-in for Twilio's
 * Serverless API. The deploying processes alone reach it: a preload sends their TLS connections for
 * serverless.twilio.com and serverless-upload.twilio.com to the stand-in, whose certificate comes from
 * a throwaway CA trusted through NODE_EXTRA_CA_CERTS. Every request is checked against the official
 * twilio_serverless_v1 spec, and so is every answer.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServerlessDouble, type ServerlessDouble, type ServerlessSpec } from '../dev/serverless-double';
import { sidFor, staticWorkspace } from '../dev/workspace-model';
import { startTaskRouterDouble, type TaskRouterDouble } from '../dev/taskrouter-double';
import { DEPLOYED_VARIABLES } from '../src/deploy-env';
import { specValidators, type OpenApiSpec } from './openapi';

const root = join(__dirname, '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const spec = require('@twilio-alpha/mcp/twilio-oai/spec/json/twilio_serverless_v1.json') as ServerlessSpec & OpenApiSpec;
const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

const { ajv, compile } = specValidators(spec);

/** The spec's schema for the answer to `method path` with `status`, or null when the spec has none (the upload host). */
function responseSchema(method: string, path: string, status: number): object | null {
  for (const [template, operations] of Object.entries(spec.paths)) {
    if (!new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path)) continue;
    const schema = operations[method.toLowerCase()]?.responses[String(status)]?.content?.['application/json']?.schema;
    if (schema) return schema;
  }
  return null;
}

const SECRETS = { TWILIO_AUTH_TOKEN: 'refresher-auth-token-secret-00001', TWILIO_API_KEY: sidFor('SK', 'deploy-key'), TWILIO_API_SECRET: 'refresher-api-secret-0000000000002' };
let dir: string;
let double: ServerlessDouble;
let result: { code: number | null; output: string };
let syncResult: { code: number | null; output: string };
let taskrouter: TaskRouterDouble;
const accountSid = sidFor('AC', `deploy-rehearsal-${Date.now()}`);
const workspace = staticWorkspace({ queueCount: 20, seed: 73, accountSid });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'qwt-deploy-'));
  // A throwaway CA and a certificate for the two Serverless hosts, for this test only.
  const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=queue-wait-times test CA']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=serverless.twilio.com']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:serverless.twilio.com,DNS:serverless-upload.twilio.com\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext']);
  double = await startServerlessDouble({ spec, key: readFileSync(join(dir, 'server.key'), 'utf8'), cert: readFileSync(join(dir, 'server.pem'), 'utf8'), accountSid });

  // The TaskRouter the README's sync step reads (a double on loopback, as TASKROUTER_API_URL allows).
  taskrouter = await startTaskRouterDouble({ model: workspace, authToken: SECRETS.TWILIO_AUTH_TOKEN, apiKeys: { [SECRETS.TWILIO_API_KEY]: SECRETS.TWILIO_API_SECRET } });
  // The .env a user would have: the Functions' variables, the refresher's secrets, and a stray key.
  writeFileSync(join(dir, '.env'), Object.entries({
    TWILIO_ACCOUNT_SID: accountSid,
    ...SECRETS,
    TWILIO_WORKSPACE_SID: workspace.workspaceSid,
    TWILIO_WORKFLOW_SID: workspace.workflows()[0]!.sid,
    UPSTASH_REDIS_REST_URL: 'https://example-db.upstash.io',
    UPSTASH_REDIS_REST_TOKEN: 'upstash-token-for-the-functions',
    TASKROUTER_API_URL: taskrouter.url,
    // The double answers from this jest process, which a loaded machine can stall past the 15 s default.
    TASKROUTER_REQUEST_TIMEOUT_MS: '60000',
    WAIT_TIME_API_KEY: 'studio-key',
    HOLD_MUSIC_SECONDS: '20',
    QSTASH_CURRENT_SIGNING_KEY: 'sig_current',
    QSTASH_NEXT_SIGNING_KEY: 'sig_next',
    SPEECH_STYLE: '',
    UNRELATED_SETTING: 'not for the Functions',
  }).map(([key, value]) => `${key}=${value}`).join('\n'));

  // The README's steps, in order: sync the workflow asset (here into the test's directory, not the
  // committed assets/), then deploy. The API key is set too, so the sync signs in with it.
  // Asynchronously: the TaskRouter double answers from this very process.
  syncResult = await new Promise((resolve) => {
    const sync = spawn('npm', ['--prefix', root, 'run', 'sync:workflow', '--', '--out', join(dir, 'workflow-config.private.json')], { cwd: dir, env: { PATH: process.env['PATH'], HOME: process.env['HOME'] }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    sync.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    sync.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    sync.once('exit', (code) => resolve({ code, output }));
  });
  const child = spawn('npm', ['--prefix', root, 'run', 'deploy'], {
    cwd: dir,
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], CI: 'true', NODE_OPTIONS: `--require ${join(root, 'dev/redirect-twilio-hosts.cjs')}`, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), SERVERLESS_DOUBLE_PORT: String(double.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  result = { code, output };
}, 240_000);
afterAll(async () => {
  await double?.close();
  await taskrouter?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run deploy, rehearsed', () => {
  it('syncs the workflow asset from TaskRouter first, reading the same .env', () => {
    if (syncResult.code !== 0) throw new Error(`sync:workflow failed (${syncResult.code}):\n${syncResult.output}`);
    expect(syncResult.output).toContain(`configuration: ${join(dir, '.env')}`);
    const asset = JSON.parse(readFileSync(join(dir, 'workflow-config.private.json'), 'utf8')) as { queues: unknown[] };
    expect(asset.queues).toHaveLength(20);
  });

  it('deploys, talking only to the stand-in', () => {
    if (result.code !== 0) throw new Error(`deploy failed (${result.code}):\n${result.output}`);
    expect(double.requests.length).toBeGreaterThan(10);
    expect(new Set(double.requests.map((request) => request.host))).toEqual(new Set(['serverless.twilio.com', 'serverless-upload.twilio.com']));
  });

  it('sends only requests the official spec describes (but one of twilio-run\'s own), and gets only answers it describes', () => {
    const problems = double.requests.flatMap((request) => request.problems.map((problem) => `${request.method} ${request.path.replace(/ZS[0-9a-f]{32}/, '{ServiceSid}')}: ${problem}`));
    // @twilio-labs/serverless-api (twilio-run's deploy client) names new environments with FriendlyName,
    // which the published spec does not list for that POST; Twilio accepts it. The only deviation seen.
    const toolkit = 'POST /v1/Services/{ServiceSid}/Environments: form parameter FriendlyName is not in the spec for POST /v1/Services/{ServiceSid}/Environments';
    expect(problems.filter((problem) => problem !== toolkit)).toEqual([]);
    const invalid: string[] = [];
    for (const request of double.requests) {
      const schema = request.host === 'serverless.twilio.com' ? responseSchema(request.method, request.path, request.status) : null;
      if (!schema) continue;
      const validate = compile(schema);
      if (!validate(request.response)) invalid.push(`${request.method} ${request.path}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(invalid).toEqual([]);
    expect(double.requests.filter((request) => request.host === 'serverless.twilio.com' && responseSchema(request.method, request.path, request.status)).length).toBeGreaterThan(8);
  });

  it('uploads the four Functions with their visibilities and the workflow asset as private', () => {
    const functions = Object.fromEntries(double.state.functionVersions.map((version) => [version['path'], version['visibility']]));
    expect(functions).toEqual({ '/get-queue-times': 'public', '/hold-music': 'protected', '/lookup-queue-sid': 'protected', '/refresh-queue-times': 'public' });
    expect(double.state.assetVersions.map((version) => [version['path'], version['visibility']])).toEqual([['/workflow-config.json', 'private']]);
    // The uploaded code is the built bundle, not a source file.
    const getQueueTimes = double.state.functionVersions.find((version) => version['path'] === '/get-queue-times')!;
    expect(getQueueTimes.content).toBe(readFileSync(join(root, 'dist/functions/get-queue-times.js'), 'utf8'));
  });

  it('builds on node22 with the dependencies of package.json, and deploys that build', () => {
    expect(double.state.builds).toHaveLength(1);
    const build = double.state.builds[0]!;
    expect(build['runtime']).toBe('node22');
    const dependencies = Object.fromEntries((build['dependencies'] as { name: string; version: string }[]).map((dependency) => [dependency.name, dependency.version]));
    expect(dependencies).toEqual(expect.objectContaining(packageJson.dependencies));
    expect(double.state.deployments.map((deployment) => deployment['build_sid'])).toEqual([build['sid']]);
  });

  it('uploads only the variables the Functions read: no secret of the refresher, no stray key', () => {
    const uploaded = Object.fromEntries(double.state.variables.map((variable) => [variable['key'], variable['value']]));
    expect(Object.keys(uploaded).sort()).toEqual(['HOLD_MUSIC_SECONDS', 'QSTASH_CURRENT_SIGNING_KEY', 'QSTASH_NEXT_SIGNING_KEY', 'TASKROUTER_REQUEST_TIMEOUT_MS', 'TWILIO_WORKSPACE_SID', 'UPSTASH_REDIS_REST_TOKEN', 'UPSTASH_REDIS_REST_URL', 'WAIT_TIME_API_KEY'].sort());
    for (const key of Object.keys(uploaded)) expect(DEPLOYED_VARIABLES).toContain(key);
    const everything = JSON.stringify(double.requests.filter((request) => !request.path.includes('/Versions')).map((request) => request.fields));
    for (const secret of Object.values(SECRETS)) expect(everything).not.toContain(secret);
    expect(result.output).not.toContain(SECRETS.TWILIO_AUTH_TOKEN);
    expect(result.output).toMatch(/uploading these variables: TWILIO_WORKSPACE_SID, UPSTASH_REDIS_REST_URL/);
  });
});
