/** What get-queue-times says about one cached entry: minutes, phrase and range agree. */
import { loadWaitTimeConfig } from '../src/config';
import { describeEntry, parseWaitTimeRequest } from '../src/endpoints/wait-time';
import type { QueueWaitEntry } from '../src/cache/entry';
import { ENGLISH } from '../src/speech';

const config = loadWaitTimeConfig({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 't', TWILIO_WORKSPACE_SID: `WS${'a'.repeat(32)}` });
/** A found lookup of one entry, read just now from a refresh read just now. */
const entry = (estimatedWaitSeconds: number | null, waitRange: QueueWaitEntry['waitRange'] = null) => {
  const now = Date.now();
  const found: QueueWaitEntry = { queueSid: `WQ${'b'.repeat(32)}`, queueName: 'Sales', channel: 'voice', estimatedWaitSeconds, waitRange, confidence: 'high', tasksWaiting: 2, availableWorkers: 0 };
  return { found: true as const, entry: found, refresh: { sequence: 1, readAtMs: now, clockOffsetMs: 0 }, clock: { redisNowMs: now, localNowMs: now } };
};

describe('describeEntry', () => {
  it('waitMinutes is the number the phrase says, for every wait up to two hours', () => {
    for (let seconds = 0; seconds <= 7200; seconds++) {
      const answer = describeEntry(config, entry(seconds), Date.now(), ENGLISH);
      const spoken = answer.phrase === 'less than a minute' ? 0 : Number(/about (\d+) minute/.exec(answer.phrase!)![1]);
      expect([seconds, answer.waitMinutes]).toEqual([seconds, spoken]);
    }
    // The case that disagreed before: 88 s was waitMinutes 2 but "about 1 minute".
    expect(describeEntry(config, entry(88), Date.now(), ENGLISH)).toMatchObject({ waitMinutes: 1, phrase: 'about 1 minute' });
  });

  it('carries the predicted range, and the range style speaks it', () => {
    expect(describeEntry(config, entry(200, { low: 130, high: 330 }), Date.now(), ENGLISH)).toMatchObject({ waitTime: 200, waitRange: { low: 130, high: 330 } });
    const ranged = loadWaitTimeConfig({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 't', TWILIO_WORKSPACE_SID: `WS${'a'.repeat(32)}`, SPEECH_STYLE: 'range' });
    expect(describeEntry(ranged, entry(200, { low: 130, high: 330 }), Date.now(), ENGLISH).phrase).toBe('2 to 6 minutes');
    expect(describeEntry(config, entry(null), Date.now(), ENGLISH)).toMatchObject({ waitTime: null, waitMinutes: null, waitRange: null, phrase: null });
  });
});

describe('parseWaitTimeRequest', () => {
  it('refuses queueSid and queueName together instead of silently preferring one', () => {
    expect(() => parseWaitTimeRequest({ queueSid: `WQ${'b'.repeat(32)}`, queueName: 'Sales' })).toThrow(expect.objectContaining({ status: 400, code: 'invalid_parameter', message: 'give queueSid or queueName, not both' }));
    expect(parseWaitTimeRequest({ queueName: 'Sales' })).toEqual({ queue: { queueName: 'Sales' }, channel: 'voice' });
  });
});
