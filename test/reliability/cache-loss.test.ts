/** The data-loss measure itself: it finds what a fault could lose, and allows what a newer refresh replaces. */
import { lostData, type CacheState } from './cache-loss';

const state = (sequence: number, wait: Record<string, string>, ttl = 3600): CacheState => ({
  keys: new Map([
    ['qwt:v3:WS1:refresh', { type: 'hash', value: { sequence: String(sequence) }, ttl }],
    ['qwt:v3:WS1:wait:voice', { type: 'hash', value: wait, ttl }],
  ]),
  sequences: new Map([['qwt:v3:WS1:refresh', sequence]]),
});

describe('lostData', () => {
  it('finds a missing key, a missing or changed field, a lost expiry and a record gone back', () => {
    const before = state(5, { WQa: '1', WQb: '2' });
    expect(lostData(before, before)).toEqual([]);
    const missing = state(5, { WQa: '1', WQb: '2' });
    missing.keys.delete('qwt:v3:WS1:wait:voice');
    expect(lostData(before, missing)).toEqual(['qwt:v3:WS1:wait:voice is gone']);
    expect(lostData(before, state(5, { WQa: '1' }))).toEqual(['qwt:v3:WS1:wait:voice WQb is gone']);
    expect(lostData(before, state(5, { WQa: '9', WQb: '2' }))).toEqual(['qwt:v3:WS1:wait:voice WQa changed']);
    expect(lostData(before, state(5, { WQa: '1', WQb: '2' }, -1))).toEqual(['qwt:v3:WS1:refresh lost its expiry', 'qwt:v3:WS1:wait:voice lost its expiry']);
    expect(lostData(before, state(4, { WQa: '1', WQb: '2' }))).toEqual(['qwt:v3:WS1:refresh went back from run 5 to 4']);
  });

  it('lets a newer refresh replace the data, but not leave it without a record', () => {
    const before = state(5, { WQa: '1', WQb: '2' });
    expect(lostData(before, state(6, { WQa: '7' }))).toEqual([]);
    const noRecord = state(6, { WQa: '7' });
    noRecord.sequences.clear();
    expect(lostData(before, noRecord)).toEqual(['qwt:v3:WS1:refresh (the refresh record) is gone']);
  });
});
