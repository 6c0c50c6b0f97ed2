/** The cache's pure parts: the compact entry, the refresh record's fields, the age on Redis's clock, the key names. */
import { decodeEntry, decodeStamp, encodeEntry, decodeInputs, encodeInputs, encodeStamp, recordFrom, recordPairs, RECORD_FIELDS, refreshAgeMs, type QueueWaitEntry, type RefreshRecord } from '../src/cache/entry';
import { observation } from './helpers';
import { KEY_PREFIX, liveKeys, normaliseQueueName, stagingKeys, STAMP_FIELD } from '../src/cache/layout';

const entry: QueueWaitEntry = { queueSid: `WQ${'a'.repeat(32)}`, queueName: 'Sales', channel: 'chat', estimatedWaitSeconds: 125, waitRange: { low: 40, high: 260 }, waitShape: 2.5, confidence: 'low', reason: 'few_recent_acceptances', tasksWaiting: 3, availableWorkers: 0 };

describe('the compact entry', () => {
  it('stores neither the SID (the field) nor the channel (the key), and reads back whole', () => {
    const stored = encodeEntry(entry);
    expect(JSON.parse(stored)).not.toHaveProperty('queueSid');
    expect(JSON.parse(stored)).not.toHaveProperty('channel');
    expect(decodeEntry(entry.queueSid, 'chat', stored)).toEqual(entry);
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(200);
  });

  it('refuses what is not an entry', () => {
    for (const raw of ['{', '"text"', 'null', '{"queueName":1,"estimatedWaitSeconds":5}', '{"queueName":"x"}', 7, null]) {
      expect(() => decodeEntry('WQ', 'voice', raw)).toThrow('The cache holds a malformed queue entry');
    }
    expect(decodeEntry('WQ', 'voice', '{"queueName":"x","estimatedWaitSeconds":null}')).toMatchObject({ queueName: 'x', estimatedWaitSeconds: null });
  });

  it('stores the estimator\'s inputs as they were read, as a short array', () => {
    const inputs = observation({ tasksWaiting: 2, acceptedQuickly: 7 });
    expect(decodeInputs(encodeInputs(inputs))).toEqual(inputs);
    expect(encodeInputs(inputs).length).toBeLessThan(JSON.stringify(inputs).length / 3);
    expect(JSON.parse(encodeInputs(inputs))).toHaveLength(Object.keys(inputs).length);
  });

  it('reads the inputs layouts before 4 stored (an object), and refuses anything else', () => {
    expect(decodeInputs(JSON.stringify(observation({ tasksWaiting: 3 })))).toEqual(observation({ tasksWaiting: 3 }));
    for (const raw of ['{', '[1,2]', 'null', '7', '"text"', 'true']) expect(decodeInputs(raw)).toBeNull();
  });
});

describe('the refresh record', () => {
  const record: RefreshRecord = { sequence: 7, layout: 2, readAtMs: 1_000, clockOffsetMs: -250, refreshedAt: '2026-01-01T00:00:01.000Z', queueCount: 12, channels: ['voice', 'chat'], estimator: 'default', windowMinutes: 15, durationMs: 80, requests: 3, fullWriteAtMs: 900 };

  it('round-trips through its hash fields, in RECORD_FIELDS order', () => {
    const pairs = recordPairs(record);
    expect(pairs.filter((_, index) => index % 2 === 0)).toEqual([...RECORD_FIELDS]);
    const values = RECORD_FIELDS.map((field) => pairs[pairs.indexOf(field) + 1]!);
    expect(recordFrom(values)).toEqual(record);
    expect(pairs).toContain('voice,chat');
  });

  it('is null without a sequence (no refresh record)', () => {
    expect(recordFrom(RECORD_FIELDS.map(() => null))).toBeNull();
    expect(recordFrom([])).toBeNull();
  });

  it('ages on Redis\'s clock, moved on by the local clock since the read, never negative', () => {
    const clock = { redisNowMs: 10_000, localNowMs: 500 };
    // Read at 1,000 on the refresher's clock = 750 on Redis's; Redis says 10,000 now, 200 ms later locally.
    expect(refreshAgeMs({ readAtMs: 1_000, clockOffsetMs: -250 }, clock, 700)).toBe(9_450);
    expect(refreshAgeMs({ readAtMs: 20_000, clockOffsetMs: 0 }, clock, 500)).toBe(0);
  });
});

describe('the key layout', () => {
  it('keeps every key under one prefix and the workspace, staging apart from live', () => {
    // Spelled out: the prefix is part of the contract with deployed Functions of the same layout.
    expect(KEY_PREFIX).toBe('qwt:v3');
    const live = liveKeys('WS1');
    expect([live.refresh, live.names, live.wait('voice'), live.inputs('chat'), live.state('voice'), live.queues('sms'), live.sequence]).toEqual(['qwt:v3:WS1:refresh', 'qwt:v3:WS1:names', 'qwt:v3:WS1:wait:voice', 'qwt:v3:WS1:inputs:chat', 'qwt:v3:WS1:state:voice', 'qwt:v3:WS1:queues:sms', 'qwt:v3:WS1:sequence']);
    const staged = stagingKeys('WS1', 'run-9');
    expect([staged.names, staged.wait('voice'), staged.inputs('voice'), staged.state('chat'), staged.queues('chat')]).toEqual(['qwt:v3:WS1:staging:run-9:names', 'qwt:v3:WS1:staging:run-9:wait:voice', 'qwt:v3:WS1:staging:run-9:inputs:voice', 'qwt:v3:WS1:staging:run-9:state:chat', 'qwt:v3:WS1:staging:run-9:queues:chat']);
    expect(normaliseQueueName('  Sales Line ')).toBe('sales line');
  });

  it('dates a wait hash with a field no queue SID can take', () => {
    expect(STAMP_FIELD).toBe('~refresh');
    expect(/^WQ[0-9a-f]{32}$/.test(STAMP_FIELD)).toBe(false);
  });
});

describe('the refresh stamp of a wait hash', () => {
  it('round-trips, negative clock offsets included, and refuses what is not three numbers', () => {
    const stamp = { sequence: 42, readAtMs: 1_796_000_000_123, clockOffsetMs: -1_250 };
    expect(encodeStamp(stamp)).toBe('42,1796000000123,-1250');
    expect(decodeStamp(encodeStamp(stamp))).toEqual(stamp);
    for (const bad of [null, undefined, 7, '', '1,2', '1,x,3', 'a,b,c']) expect([bad, decodeStamp(bad)]).toEqual([bad, null]);
  });
});

describe('the refresh record', () => {
  it('reads the fields back in order, channels split, estimator defaulted', () => {
    const record = { sequence: 3, layout: 3, readAtMs: 10, clockOffsetMs: -2, refreshedAt: '2026-01-01T00:00:00.000Z', queueCount: 5, channels: ['voice', 'chat'], estimator: 'default' as const, windowMinutes: 15, durationMs: 9, requests: 4, fullWriteAtMs: 8 };
    const pairs = recordPairs(record);
    const values = RECORD_FIELDS.map((field) => pairs[pairs.indexOf(field) + 1]);
    expect(recordFrom(values)).toEqual(record);
    expect(recordFrom([null])).toBeNull();
    expect(recordFrom(RECORD_FIELDS.map((field) => (field === 'sequence' ? '1' : field === 'channels' ? '' : null)))).toMatchObject({ channels: [], estimator: 'default' });
    // A record written by hand with only its run number: every text field empty, never "null".
    expect(recordFrom(['1'])).toMatchObject({ sequence: 1, refreshedAt: '', channels: [], estimator: 'default' });
  });
});
