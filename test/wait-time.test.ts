/** What get-queue-times says about one cached entry: minutes, phrase and range agree. */
import { loadWaitTimeConfig } from '../src/config';
import { describeEntry } from '../src/functions/wait-time';
import type { QueueWaitEntry } from '../src/cache/snapshot';
import { ENGLISH } from '../src/speech';
import { observation } from './helpers';

const config = loadWaitTimeConfig({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 't', TWILIO_WORKSPACE_SID: `WS${'a'.repeat(32)}` });
const entry = (estimatedWaitSeconds: number | null, waitRange: QueueWaitEntry['waitRange'] = null): QueueWaitEntry => ({
  queueSid: `WQ${'b'.repeat(32)}`, queueName: 'Sales', channel: 'voice', estimatedWaitSeconds, confidence: 'high', waitRange, estimator: 'default', inputs: observation(), windowMinutes: 15, readAt: new Date().toISOString(),
});

describe('describeEntry', () => {
  it('waitMinutes is the number the phrase says, for every wait up to two hours', () => {
    for (let seconds = 0; seconds <= 7200; seconds++) {
      const answer = describeEntry(config, entry(seconds), null, Date.now(), ENGLISH);
      const spoken = answer.phrase === 'less than a minute' ? 0 : Number(/about (\d+) minute/.exec(answer.phrase!)![1]);
      expect([seconds, answer.waitMinutes]).toEqual([seconds, spoken]);
    }
    // The case that disagreed before: 88 s was waitMinutes 2 but "about 1 minute".
    expect(describeEntry(config, entry(88), null, Date.now(), ENGLISH)).toMatchObject({ waitMinutes: 1, phrase: 'about 1 minute' });
  });

  it('carries the predicted range, and the range style speaks it', () => {
    expect(describeEntry(config, entry(200, { low: 130, high: 330 }), null, Date.now(), ENGLISH)).toMatchObject({ waitTime: 200, waitRange: { low: 130, high: 330 } });
    const ranged = loadWaitTimeConfig({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 't', TWILIO_WORKSPACE_SID: `WS${'a'.repeat(32)}`, SPEECH_STYLE: 'range' });
    expect(describeEntry(ranged, entry(200, { low: 130, high: 330 }), null, Date.now(), ENGLISH).phrase).toBe('2 to 6 minutes');
    expect(describeEntry(config, entry(null), null, Date.now(), ENGLISH)).toMatchObject({ waitTime: null, waitMinutes: null, waitRange: null, phrase: null });
  });
});
