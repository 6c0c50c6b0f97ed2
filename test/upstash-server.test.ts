/** The Upstash-compatible server, driven by the unmodified @upstash/redis client and by raw HTTP. */
import { Redis } from '@upstash/redis';
import { startEmbeddedRedis, startRedisEngine, type RedisEngine } from '../dev/redis-engine';
import { startUpstashServer, type UpstashServer } from '../dev/upstash-server';
import { itWithRealRedis, realRedis } from './helpers';

let engine: RedisEngine;
let server: UpstashServer;
const TOKEN = 'test-token';

beforeAll(async () => {
  engine = await startRedisEngine();
  server = await startUpstashServer({ engine, token: TOKEN });
});
afterAll(async () => {
  await server.close();
  await engine.stop();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', body, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...headers } });

describe('Upstash-compatible server', () => {
  it('runs on redis-server whenever it is installed, and on the embedded engine only without it', () => {
    expect(engine.kind).toBe(realRedis ? 'redis-server' : 'embedded');
  });

  it('serves the official client: strings, numbers, hashes, unicode, pipelines, transactions, scripts', async () => {
    const redis = new Redis({ url: server.url, token: TOKEN, enableTelemetry: false });
    expect(await redis.set('greeting', 'héllo ✓')).toBe('OK');
    expect(await redis.get('greeting')).toBe('héllo ✓');
    expect(await redis.incr('counter')).toBe(1);
    await redis.hset('hash', { a: '1', b: 'two' });
    expect(await redis.hgetall('hash')).toEqual({ a: 1, b: 'two' });
    expect(await redis.hget('hash', 'missing')).toBeNull();
    const pipeline = redis.pipeline();
    pipeline.set('p1', 'x');
    pipeline.get('p1');
    pipeline.del('p1');
    expect(await pipeline.exec()).toEqual(['OK', 'x', 1]);
    const transaction = redis.multi();
    transaction.set('t1', '5');
    transaction.incrby('t1', 2);
    expect(await transaction.exec()).toEqual(['OK', 7]);
    const script = redis.createScript<string>('return ARGV[1]');
    expect(await script.exec([], ['from lua'])).toBe('from lua');
  });

  itWithRealRedis('answers Redis errors with 400 and { error }', async () => {
    const response = await post('/', JSON.stringify(['HGET', 'only-one-arg']));
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/wrong number of arguments/i);
  });

  itWithRealRedis('reports per-command errors inside a pipeline', async () => {
    await post('/', JSON.stringify(['SET', 'plain', 'v']));
    const response = await post('/pipeline', JSON.stringify([['GET', 'plain'], ['HGET', 'plain', 'f']]));
    expect(response.status).toBe(200);
    const replies = await response.json();
    expect(replies[0]).toEqual({ result: 'v' });
    expect(replies[1].error).toMatch(/WRONGTYPE/);
  });

  it('base64-encodes string results when asked', async () => {
    await post('/', JSON.stringify(['SET', 'b64', 'value']));
    const response = await post('/', JSON.stringify(['GET', 'b64']), { 'Upstash-Encoding': 'base64' });
    expect(await response.json()).toEqual({ result: Buffer.from('value').toString('base64') });
  });

  it('uses the status codes of Upstash\'s own stand-in', async () => {
    expect((await fetch(server.url, { method: 'POST', body: '["PING"]', headers: { 'Content-Type': 'application/json' } })).status).toBe(400);
    expect((await post('/', '["PING"]', { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post('/', '["PING"]', { 'Content-Type': 'text/plain' })).status).toBe(400);
    expect((await post('/', 'not json')).status).toBe(400);
    expect((await post('/', '{"a":1}')).status).toBe(400);
    expect((await post('/pipeline', '[]')).status).toBe(400);
    expect((await post('/nowhere', '["PING"]')).status).toBe(404);
  });
});

describe('the embedded engine (used when redis-server is not installed)', () => {
  it('serves the snapshot scripts through the same server', async () => {
    const embedded = await startEmbeddedRedis();
    const local = await startUpstashServer({ engine: embedded, token: TOKEN });
    try {
      const redis = new Redis({ url: local.url, token: TOKEN, enableTelemetry: false });
      await redis.hset('h', { f: 'v' });
      expect(await redis.hgetall('h')).toEqual({ f: 'v' });
      const script = redis.createScript<string | null>("if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end return redis.call('HGET', KEYS[1], ARGV[1])");
      expect(await script.exec(['h'], ['f'])).toBe('v');
      expect(await script.exec(['missing'], ['f'])).toBe(0);
    } finally {
      await local.close();
      await embedded.stop();
    }
  });
});
