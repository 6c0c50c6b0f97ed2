/**
 * A local server that speaks Upstash's REST protocol in front of a real Redis: `POST /` with one
 * command, `/pipeline` and `/multi-exec` with several, bearer-token auth, `Upstash-Encoding: base64`,
 * and the status codes of Upstash's own stand-in (serverless-redis-http): 400 for a Redis error or a
 * bad body, 401 for a wrong token, 500 when Redis is unreachable. The unmodified @upstash/redis client
 * works against it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RedisCommand, RedisEngine, RedisReply } from './redis-engine';

/** Upstash refuses requests over 10 MB. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface UpstashServer {
  url: string;
  token: string;
  server: Server;
  /** Mutable: tests change `fault` while the server runs. */
  options: UpstashServerOptions;
  /** Commands executed, for benchmarks that count Redis work per request. */
  stats: { requests: number; commands: number; requestBytes: number; responseBytes: number };
  close(): Promise<void>;
}

/**
 * What a fault hook may do to one request: answer a status, answer late, drop the connection before or
 * after Redis ran it, or answer 200 with a body of its own without running it (a proxy, a changed API).
 */
export type UpstashFault = { kind: 'status'; status: number } | { kind: 'delay'; ms: number } | { kind: 'reset-before' } | { kind: 'reset-after' } | { kind: 'answer'; body: unknown };

export interface UpstashServerOptions {
  engine: RedisEngine;
  token: string;
  port?: number;
  host?: string;
  /**
   * Consulted for every authorised request with a valid body, and awaited: a test may change Redis
   * before the request runs (another writer between two steps), with no timing involved.
   */
  fault?: (request: { path: string; body: unknown }) => UpstashFault | undefined | Promise<UpstashFault | undefined>;
}

function encodeBase64(value: unknown): unknown {
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('base64');
  if (Array.isArray(value)) return value.map(encodeBase64);
  return value;
}

/**
 * Redis replies as the wire has them: Lua's false is nil, buffers are text, and the objects ioredis
 * makes of HGETALL-style replies go back to flat field/value arrays.
 */
function normalise(value: unknown): unknown {
  if (value === false || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(normalise);
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([field, item]) => [field, normalise(item)]);
  return value;
}

function isCommand(value: unknown): value is RedisCommand {
  return Array.isArray(value) && value.length > 0 && typeof value[0] === 'string' && value.every((part) => typeof part === 'string' || (typeof part === 'number' && Number.isFinite(part)));
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpFailure(400, 'ERR max request size exceeded'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function tokenMatches(header: string | undefined, token: string): 'ok' | 'missing' | 'wrong' {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match) return 'missing';
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'ok' : 'wrong';
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

/**
 * Upstash's script flags on a stock Redis. `allow-key-locking` is Upstash's own shebang flag (lock
 * only the keys in KEYS); redis-server refuses flags it does not know, so it is removed before the
 * script runs there, keeping `no-writes`, which Redis enforces. The embedded engine knows no shebang
 * at all, so it gets the body without that line. The SHA a client computed from the body it sent is
 * mapped to the SHA of the body Redis has, so EVALSHA finds it.
 */
function scriptTranslator(kind: RedisEngine['kind']) {
  const shas = new Map<string, string>();
  const body = (script: string) => {
    if (!script.startsWith('#!')) return script;
    const newline = script.indexOf('\n');
    const shebang = newline === -1 ? script : script.slice(0, newline);
    const rest = newline === -1 ? '' : script.slice(newline + 1);
    if (kind === 'embedded') return rest;
    const flags = (/flags=(\S*)/.exec(shebang)?.[1] ?? '').split(',').filter((flag) => flag !== '' && flag !== 'allow-key-locking');
    return `#!lua${flags.length > 0 ? ` flags=${flags.join(',')}` : ''}\n${rest}`;
  };
  return (command: RedisCommand): RedisCommand => {
    const name = String(command[0]).toUpperCase();
    if ((name === 'EVAL' || name === 'EVAL_RO') && typeof command[1] === 'string') {
      const translated = body(command[1]);
      if (translated !== command[1]) shas.set(sha1(command[1]), sha1(translated));
      return [kind === 'embedded' ? 'EVAL' : name, translated, ...command.slice(2)];
    }
    if (name === 'EVALSHA' || name === 'EVALSHA_RO') return [kind === 'embedded' ? 'EVALSHA' : name, shas.get(String(command[1])) ?? command[1]!, ...command.slice(2)];
    return command;
  };
}

export async function startUpstashServer(options: UpstashServerOptions): Promise<UpstashServer> {
  const translate = scriptTranslator(options.engine.kind);
  const stats = { requests: 0, commands: 0, requestBytes: 0, responseBytes: 0 };
  const send = (response: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    stats.responseBytes += Buffer.byteLength(text);
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(text);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    stats.requests++;
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'POST') throw new HttpFailure(405, 'only POST is supported here');
    if (path !== '/' && path !== '/pipeline' && path !== '/multi-exec') throw new HttpFailure(404, `unknown path ${path}`);
    const auth = tokenMatches(request.headers.authorization, options.token);
    if (auth === 'missing') throw new HttpFailure(400, 'Authorization header with a Bearer token is required');
    if (auth === 'wrong') throw new HttpFailure(401, 'Unauthorized');
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) throw new HttpFailure(400, 'Content-Type must be application/json');
    const text = await readBody(request);
    stats.requestBytes += Buffer.byteLength(text);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpFailure(400, 'ERR failed to parse command: the body is not JSON');
    }
    const fault = await options.fault?.({ path: path!, body });
    if (fault?.kind === 'status') return send(response, fault.status, { error: `injected fault: HTTP ${fault.status}` });
    if (fault?.kind === 'answer') return send(response, 200, fault.body);
    // Unref'd: a delayed answer must not keep a stopping process alive.
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms).unref());
    if (fault?.kind === 'reset-before') return void request.socket.destroy();
    if (fault?.kind === 'reset-after') {
      // Redis runs the request, then the answer is lost on the way back.
      await (path === '/' ? options.engine.run(translate(body as RedisCommand)) : options.engine.pipeline((body as RedisCommand[]).map(translate)));
      return void request.socket.destroy();
    }
    const base64 = String(request.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const encode = (reply: RedisReply): RedisReply => ('error' in reply ? reply : { result: base64 ? encodeBase64(normalise(reply.result)) : normalise(reply.result) });

    if (path === '/') {
      if (!isCommand(body)) throw new HttpFailure(400, 'ERR the body must be a JSON array: a command and its arguments');
      stats.commands++;
      const reply = await options.engine.run(translate(body));
      if ('error' in reply) return send(response, 400, { error: reply.error });
      return send(response, 200, encode(reply));
    }
    if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) throw new HttpFailure(400, 'ERR the body must be a JSON array of commands');
    stats.commands += body.length;
    if (path === '/pipeline') return send(response, 200, (await options.engine.pipeline(body.map(translate))).map(encode));
    try {
      return send(response, 200, (await options.engine.transaction(body.map(translate))).map(encode));
    } catch (error) {
      if (/EXECABORT|ERR/.test((error as Error).message)) throw new HttpFailure(400, (error as Error).message);
      throw error;
    }
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return response.destroy();
      if (error instanceof HttpFailure) return send(response, error.status, { error: error.message });
      // Redis unreachable or any other failure of the stand-in itself.
      send(response, 500, { error: `Redis unavailable: ${(error as Error).message}` });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    token: options.token,
    options,
    server,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
