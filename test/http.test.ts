/** Request validation: every parameter read with a stated purpose, and every failure a 4xx with a JSON body. */
import { errorResponse, headerOf, HttpError, jsonResponse, secondsParameter, stringParameter, toHttpError, type ResponseLike } from '../src/endpoints/http';
import { parseArgs } from 'node:util';
import { ConfigError, describeError } from '../src/errors';

class FakeResponse implements ResponseLike {
  status = 0;
  body: unknown;
  headers: Record<string, string> = {};
  setStatusCode(code: number) {
    this.status = code;
  }
  setBody(body: unknown) {
    this.body = body;
  }
  appendHeader(name: string, value: string) {
    this.headers[name] = value;
  }
}

describe('stringParameter', () => {
  it('trims, treats empty as absent, and takes finite numbers as strings', () => {
    expect(stringParameter({ a: '  x ' }, 'a', 'p')).toBe('x');
    expect(stringParameter({ a: '   ' }, 'a', 'p')).toBeUndefined();
    expect(stringParameter({}, 'a', 'p')).toBeUndefined();
    expect(stringParameter({ a: null }, 'a', 'p')).toBeUndefined();
    expect(stringParameter({ a: 42 }, 'a', 'p')).toBe('42');
  });

  it('refuses arrays, objects, non-finite numbers and oversize values with a 400 naming the parameter and its purpose', () => {
    for (const value of [['x', 'y'], { x: 1 }, Number.NaN, Number.POSITIVE_INFINITY, true]) {
      expect(() => stringParameter({ a: value }, 'a', 'the queue')).toThrow(expect.objectContaining({ status: 400, code: 'invalid_parameter', message: 'a must be a single string (the queue)' }));
    }
    expect(stringParameter({ a: 'x'.repeat(256) }, 'a', 'p')).toHaveLength(256);
    expect(() => stringParameter({ a: 'x'.repeat(257) }, 'a', 'the queue')).toThrow(expect.objectContaining({ status: 400, code: 'invalid_parameter', message: 'a is longer than 256 characters (the queue)' }));
  });
});

describe('secondsParameter', () => {
  it('takes whole seconds up to 7 digits and refuses anything else', () => {
    expect(secondsParameter({ s: '0' }, 's', 'p')).toBe(0);
    expect(secondsParameter({ s: '9999999' }, 's', 'p')).toBe(9_999_999);
    expect(secondsParameter({}, 's', 'p')).toBeUndefined();
    for (const value of ['-1', '1.5', '12345678', 'ten']) expect(() => secondsParameter({ s: value }, 's', 'wait')).toThrow(expect.objectContaining({ status: 400, code: 'invalid_parameter', message: 's must be a whole number of seconds (wait)', name: 'HttpError' }));
  });
});

describe('responses', () => {
  it('answers JSON with a status, no caching, and errors as { error: { code, message } }', () => {
    const ok = jsonResponse(new FakeResponse(), 200, { a: 1 }) as FakeResponse;
    expect(ok).toMatchObject({ status: 200, body: { a: 1 }, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });
    const failed = errorResponse(new FakeResponse(), new HttpError(404, 'unknown_queue', 'no such queue')) as FakeResponse;
    expect(failed).toMatchObject({ status: 404, body: { error: { code: 'unknown_queue', message: 'no such queue' } } });
  });

  it('maps a misconfiguration to 500 naming no value, and anything unexpected to a generic 500, logging both', () => {
    const logged: string[] = [];
    const config = toHttpError(new ConfigError(['UPSTASH_REDIS_REST_TOKEN is required']), (message) => logged.push(message));
    expect(config).toMatchObject({ status: 500, code: 'configuration_error', message: 'the function is misconfigured; see its logs' });
    const unexpected = toHttpError(new TypeError('boom'), (message) => logged.push(message));
    expect(unexpected).toMatchObject({ status: 500, code: 'internal_error', message: 'unexpected error' });
    const own = new HttpError(401, 'unauthorized', 'no');
    expect(toHttpError(own, () => undefined)).toBe(own);
    expect(logged).toEqual([expect.stringMatching(/UPSTASH_REDIS_REST_TOKEN is required/), 'unexpected TypeError: boom']);
  });

  it('describes an error by its name and message, a command line parseArgs refused by its message alone', () => {
    expect(describeError(new TypeError('boom'))).toBe('TypeError: boom');
    expect(describeError('plain')).toBe('plain');
    let refused: unknown;
    try {
      parseArgs({ args: ['--maxage'], options: { 'max-age': { type: 'string' } }, strict: true });
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ name: 'TypeError', code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    expect(describeError(refused)).toBe((refused as Error).message);
    expect(describeError(refused)).toMatch(/^Unknown option '--maxage'/);
  });

  it('reads headers case-insensitively as the runtime lower-cases them', () => {
    expect(headerOf({ request: { headers: { 'x-twilio-signature': 'abc' } } }, 'X-Twilio-Signature')).toBe('abc');
    expect(headerOf({ request: { headers: {} } }, 'x-twilio-signature')).toBeUndefined();
    expect(headerOf({}, 'x')).toBeUndefined();
    // A header given twice arrives as a list: not one value, so none.
    expect(headerOf({ request: { headers: { 'x-twilio-signature': ['abc', 'def'] } } }, 'X-Twilio-Signature')).toBeUndefined();
  });
});
