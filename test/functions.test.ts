/** The built Functions on the real twilio-run, reading a snapshot the real refresher wrote. */
import { startFunctions, type FunctionsServer } from '../dev/local-stack';
import { staticWorkspace } from '../dev/workspace-model';
import twilio from 'twilio';
import { createHash } from 'node:crypto';
import { refreshOnce } from '../src/refresh';
import { liveKeys, STAMP_FIELD } from '../src/cache/layout';
import { answerAt, spokenWait } from '../src/estimator';
import { logLine, startTestStack, type TestStack } from './helpers';

const model = staticWorkspace({ queueCount: 40, seed: 21 });
let stack: TestStack;
let functions: FunctionsServer;
let fallbackFunctions: FunctionsServer;
let signedFunctions: FunctionsServer;
const SIGNING_TOKEN = 'signing-auth-token-for-tests';
const queue = model.queues()[4]!;

beforeAll(async () => {
  stack = await startTestStack({ model });
  await refreshOnce(stack.config, { redis: stack.redis });
  [functions, fallbackFunctions, signedFunctions] = await Promise.all([
    startFunctions({ ...stack.env, CALLBACK_THRESHOLD_SECONDS: '60' }),
    // Points at a port nobody listens on: the cache is unreachable.
    startFunctions({ ...stack.env, UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9', DEFAULT_WAIT_TIME: '300' }),
    startFunctions({ ...stack.env, VALIDATE_SIGNATURE: 'true', AUTH_TOKEN: SIGNING_TOKEN }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([functions?.stop(), fallbackFunctions?.stop(), signedFunctions?.stop()]);
  await stack?.stop();
});

const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

describe('get-queue-times', () => {
  it('answers a GET with query parameters, as the Make HTTP Request widget sends it', async () => {
    const response = await fetch(`${functions.url}/get-queue-times?queueSid=${queue.sid}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    const body = await response.json();
    expect(body).toMatchObject({ queueSid: queue.sid, queueName: queue.friendlyName, channel: 'voice', stale: false, status: expect.stringMatching(/^(ok|no_agents|no_data)$/) });
    expect(body.waittime).toBe(body.waitTime);
    expect(body.ageSeconds).toBeGreaterThanOrEqual(0);
    for (const field of ['waitMinutes', 'tasksWaiting', 'availableWorkers', 'updatedAt', 'confidence', 'phrase', 'offerCallback']) expect(body).toHaveProperty(field);
    if (body.waitTime !== null) expect(body.offerCallback).toBe(body.waitTime > 60);
  });

  it('answers a form-encoded POST by name and a JSON POST', async () => {
    const byName = await (await fetch(`${functions.url}/get-queue-times`, form({ queueName: queue.friendlyName.toLowerCase() }))).json();
    expect(byName.queueSid).toBe(queue.sid);
    const byJson = await (await fetch(`${functions.url}/get-queue-times`, json({ queueSid: queue.sid, channel: 'voice' }))).json();
    expect(byJson.queueSid).toBe(queue.sid);
  });

  it('refuses malformed input with 400 and a JSON error', async () => {
    for (const request of [
      fetch(`${functions.url}/get-queue-times`),
      fetch(`${functions.url}/get-queue-times?queueSid=WQ123`),
      fetch(`${functions.url}/get-queue-times?queueSid=${queue.sid}&channel=v%20o`),
      fetch(`${functions.url}/get-queue-times`, json({ queueSid: [queue.sid] })),
      fetch(`${functions.url}/get-queue-times`, json({ queueName: { $gt: '' } })),
      fetch(`${functions.url}/get-queue-times?queueName=${'x'.repeat(300)}`),
    ]) {
      const response = await request;
      expect(response.status).toBe(400);
      const body = await response.json();
      expect(body.error.code).toMatch(/^(invalid_parameter|missing_parameter)$/);
      expect(typeof body.error.message).toBe('string');
    }
  });

  it('answers 404 for a queue or a channel the snapshot does not have', async () => {
    const unknown = await fetch(`${functions.url}/get-queue-times?queueSid=WQ${'f'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('unknown_queue');
    const channel = await fetch(`${functions.url}/get-queue-times?queueSid=${queue.sid}&channel=sms`);
    expect(channel.status).toBe(404);
    expect((await channel.json()).error.code).toBe('unknown_channel');
  });

  it('answers 503 when there is no snapshot at all (expired, or the refresher never ran)', async () => {
    const other = await startFunctions({ ...stack.env, TWILIO_WORKSPACE_SID: `WS${'0'.repeat(32)}` });
    try {
      const from = other.output().length;
      const response = await fetch(`${other.url}/get-queue-times?queueSid=${queue.sid}`);
      expect(response.status).toBe(503);
      expect((await response.json()).error.code).toBe('no_snapshot');
      // The Function's log says why, naming the workspace and the host, not the token.
      expect(await logLine(other, from, /get-queue-times: 503 no_snapshot/)).toMatch(new RegExp(`get-queue-times: 503 no_snapshot: no snapshot for channel voice of workspace WS0{32} at 127\\.0\\.0\\.1:\\d+ \\(expired, or the refresher never ran\\)`));
      expect(other.output()).not.toContain(stack.env['UPSTASH_REDIS_REST_TOKEN']);
    } finally {
      await other.stop();
    }
  });

  it('serves the configured default, marked fallback, when the cache is unreachable', async () => {
    const started = Date.now();
    const response = await fetch(`${fallbackFunctions.url}/get-queue-times?queueSid=${queue.sid}`);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ waitTime: 300, status: 'fallback', stale: true, reason: 'cache_unavailable', phrase: 'about 5 minutes' });
  });

  it('answers from the reading aged by its age: five minutes on, the answer has moved towards the window\'s wait', async () => {
    const waitKey = liveKeys(model.workspaceSid).wait('voice');
    type Stored = { estimatedWaitSeconds: number | null; waitShape: number; windowWaitSeconds?: number; waitRange: { low: number; high: number } };
    // A queue no other test reads, whose estimate and window's wait differ by half a minute or more.
    const { [STAMP_FIELD]: _stamp, ...entries } = await stack.engine.client.hgetall(waitKey);
    const [agedSid, stored] = Object.entries(entries)
      .map(([sid, raw]) => [sid, JSON.parse(raw) as Stored] as const)
      .find(([sid, entry]) => sid !== queue.sid && entry.estimatedWaitSeconds !== null && entry.windowWaitSeconds !== undefined && Math.abs(entry.estimatedWaitSeconds - entry.windowWaitSeconds) >= 30)!;
    const window = stored.windowWaitSeconds!;
    /** The Function's answer is the model at its own age, which the rounded ageSeconds gives within half a second. */
    const expectAged = (body: { ageSeconds: number; waitTime: number; phrase: string }) => {
      const expected = [-0.5, 0, 0.5].map((shift) => answerAt(stored, body.ageSeconds + shift)!);
      expect(body.waitTime).toBeGreaterThanOrEqual(Math.min(...expected.map((answer) => answer.seconds)));
      expect(body.waitTime).toBeLessThanOrEqual(Math.max(...expected.map((answer) => answer.seconds)));
      expect(expected.map((answer) => spokenWait(answer.model, 'approximate').phrase)).toContain(body.phrase);
    };
    const first = await (await fetch(`${functions.url}/get-queue-times?queueSid=${agedSid}`)).json();
    expectAged(first);
    // The refresh that wrote the entry, dated five minutes earlier.
    const stamp = (await stack.engine.client.hget(waitKey, STAMP_FIELD))!;
    const [sequence, readAtMs, offsetMs] = stamp.split(',').map(Number) as [number, number, number];
    await stack.engine.client.hset(waitKey, { [STAMP_FIELD]: `${sequence},${readAtMs - 300_000},${offsetMs}` });
    try {
      const later = await (await fetch(`${functions.url}/get-queue-times?queueSid=${agedSid}`)).json();
      expect(later.ageSeconds).toBeGreaterThanOrEqual(first.ageSeconds + 300);
      expectAged(later);
      expect(Math.abs(later.waitTime - window)).toBeLessThan(Math.abs(first.waitTime - window));
    } finally {
      await stack.engine.client.hset(waitKey, { [STAMP_FIELD]: stamp });
    }
  });
});

describe('lookup-queue-sid', () => {
  it('maps a queue or filter name from the workflow asset to a SID', async () => {
    const response = await fetch(`${functions.url}/lookup-queue-sid`, form({ queueName: ' support ' }));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.queueName).toBe('Support');
    expect(body.queueSid).toMatch(/^WQ[0-9a-f]{32}$/);
    const byFilter = await (await fetch(`${functions.url}/lookup-queue-sid`, form({ queueName: 'VIP LINE' }))).json();
    expect(byFilter.queueName).toBe('VIP');
  });

  it('answers 404 for an unknown name and 400 without one', async () => {
    const unknown = await fetch(`${functions.url}/lookup-queue-sid`, form({ queueName: 'Nope' }));
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('unknown_queue');
    expect((await fetch(`${functions.url}/lookup-queue-sid`, form({}))).status).toBe(400);
  });
});

describe('hold-music', () => {
  it('announces the remaining wait when due, plays music and loops with its own state', async () => {
    const response = await fetch(`${functions.url}/hold-music?waitTime=400&QueueTime=100`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/xml/);
    const twiml = await response.text();
    // Waited 100 s (QueueTime), first announcement due at 60 s: announced now; shape 1 (the flow's own figure) is memoryless.
    const match = /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Say>Thank you for waiting\. Your expected wait is about 7 minutes\.<\/Say><Play>http[^<]+<\/Play><Redirect method="GET">hold-music\?channel=voice&amp;waitTime=400&amp;since=(\d+)&amp;next=(\d+)<\/Redirect><\/Response>$/.exec(twiml);
    expect(match).not.toBeNull();
    expect(Number(match![2]) - Number(match![1])).toBeGreaterThanOrEqual(160);
  });

  it('stays quiet until the next announcement is due, whatever QueueTime says or does not say', async () => {
    const now = Math.floor(Date.now() / 1000);
    const quiet = await (await fetch(`${functions.url}/hold-music?waitTime=400&since=${now - 130}&next=${now + 30}`)).text();
    expect(quiet).not.toMatch(/<Say>/);
    const due = await (await fetch(`${functions.url}/hold-music?waitTime=400&since=${now - 900}&next=${now - 1}`)).text();
    expect(due).toMatch(/about 7 minutes\./);
    // A first request, QueueTime 0: the flow has just told the wait.
    expect(await (await fetch(`${functions.url}/hold-music?waitTime=400&QueueTime=0`)).text()).not.toMatch(/<Say>/);
  });

  it('reads the wait for a queueSid, and plays music only for bad or missing parameters', async () => {
    const byQueue = await (await fetch(`${functions.url}/hold-music?queueSid=${queue.sid}&QueueTime=300`)).text();
    expect(byQueue).toMatch(/<Play>/);
    for (const query of ['', '?waitTime=abc', '?queueSid=%00%0d%0a', '?waitTime=-5&QueueTime=x']) {
      const response = await fetch(`${functions.url}/hold-music${query}`);
      expect(response.status).toBe(200);
      const twiml = await response.text();
      expect(twiml).toMatch(/^<\?xml[^>]+\?><Response><Play>[^<]+<\/Play><Redirect method="GET">hold-music\?channel=voice&amp;since=\d+&amp;next=\d+<\/Redirect><\/Response>$/);
    }
  });
});

describe('VALIDATE_SIGNATURE: exactly as Twilio signs', () => {
  // twilio-run serves as http://localhost:PORT and tells the function DOMAIN_NAME=localhost:PORT; Twilio signs https.
  const base = () => `https://localhost:${new URL(signedFunctions.url).port}`;
  const send = (path: string, init: RequestInit, signature: string | undefined) =>
    fetch(`${signedFunctions.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...(signature ? { 'X-Twilio-Signature': signature } : {}) } });
  const formInit = (fields: Record<string, string>): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

  it('GET with a query: the full URL, no parameters', async () => {
    const signature = twilio.getExpectedTwilioSignature(SIGNING_TOKEN, `${base()}/hold-music?waitTime=120&channel=voice`, {});
    expect((await send('/hold-music?waitTime=120&channel=voice', {}, signature)).status).toBe(200);
    expect((await send('/hold-music?waitTime=121&channel=voice', {}, signature)).status).toBe(401);
    expect((await send('/hold-music?waitTime=120&channel=voice', {}, undefined)).status).toBe(401);
  });

  it('form POST: the URL plus the sorted body parameters (what the Run Function widget sends)', async () => {
    const params = { queueName: 'Support' };
    const signature = twilio.getExpectedTwilioSignature(SIGNING_TOKEN, `${base()}/lookup-queue-sid`, params);
    expect((await send('/lookup-queue-sid', formInit(params), signature)).status).toBe(200);
    const wrong = await send('/lookup-queue-sid', formInit({ queueName: 'Sales' }), signature);
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.code).toBe('unauthorized');
  });

  it('form POST with a query string: the URL with its query, plus the body parameters', async () => {
    const params = { queueName: 'Support' };
    const signature = twilio.getExpectedTwilioSignature(SIGNING_TOKEN, `${base()}/lookup-queue-sid?source=studio`, params);
    expect((await send('/lookup-queue-sid?source=studio', formInit(params), signature)).status).toBe(200);
    expect((await send('/lookup-queue-sid?source=other', formInit(params), signature)).status).toBe(401);
  });

  it('JSON POST: the URL with bodySHA256, and the body hashed', async () => {
    const body = JSON.stringify({ queueName: 'Support' });
    const hash = createHash('sha256').update(body).digest('hex');
    const url = `${base()}/lookup-queue-sid?bodySHA256=${hash}`;
    const signature = twilio.getExpectedTwilioSignature(SIGNING_TOKEN, url, {});
    const json = (text: string): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: text });
    expect((await send(`/lookup-queue-sid?bodySHA256=${hash}`, json(body), signature)).status).toBe(200);
    // The same signature and hash over a tampered body.
    expect((await send(`/lookup-queue-sid?bodySHA256=${hash}`, json(JSON.stringify({ queueName: 'Sales' })), signature)).status).toBe(401);
  });
});

describe('a broken deploy', () => {
  it('answers a corrupt workflow asset with one clear 500 JSON error, not a stack trace', async () => {
    const { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = join(__dirname, '..');
    const dir = mkdtempSync(join(tmpdir(), 'qwt-broken-'));
    cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(root, '.twilioserverlessrc'), join(dir, '.twilioserverlessrc'));
    cpSync(join(root, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'dist/assets/workflow-config.private.json'), '{"workspaceSid": "WS-truncated');
    const broken = await startFunctions(stack.env, { root: dir });
    try {
      const response = await fetch(`${broken.url}/lookup-queue-sid`, form({ queueName: 'Support' }));
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: { code: 'configuration_error', message: 'the workflow configuration asset is missing or invalid; see the logs' } });
      expect(broken.output()).toMatch(/workflow-config\.private\.json: is not valid JSON; run npm run sync:workflow/);
    } finally {
      await broken.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
