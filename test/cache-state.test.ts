/**
 * The refresher's packed state (src/cache/state.ts), on its own: records and headers round-trip, every
 * field at its bounds, and whatever is malformed reads as nothing (the refresher then writes everything).
 * test/cache-writer.test.ts checks the same state as Redis holds it.
 */
import { decodeState, encodeState, entryDigest, listDigest, packRecord, RECORD_WIDTH, recordDigest, recordHistory, recordPool, targetsDigest, type StateHeader } from '../src/cache/state';

const digest = entryDigest('{"queueName":"Sales","estimatedWaitSeconds":90}');
const NOW = 1_772_438_400; // 2026-03-02, seconds

describe('a record', () => {
  it('holds the entry digest, the history and the pool, each read back as stored', () => {
    const record = packRecord(digest, `3.52,${NOW - 120},2.5`, 7);
    expect(record).toHaveLength(RECORD_WIDTH);
    expect(record).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(recordDigest(record)).toBe(digest);
    expect(recordHistory(record, NOW)).toBe(`3.52,${NOW - 120},2.5`);
    expect(recordPool(record)).toBe(7);
  });

  it('keeps "no history", "covered" (start 0), unknown slots and no pool apart from every value', () => {
    const none = packRecord(digest, undefined, null);
    expect(recordHistory(none, NOW)).toBeUndefined();
    expect(recordPool(none)).toBeNull();
    expect(recordHistory(packRecord(digest, '0,0,', 0), NOW)).toBe('0,0,');
    expect(recordPool(packRecord(digest, '0,0,', 0))).toBe(0);
    expect(recordHistory(packRecord(digest, '1.5,0,0', null), NOW)).toBe('1.5,0,0');
    // A history text that is not three fields is no history.
    for (const text of ['', '1,2', '1,2,3,4']) expect(recordHistory(packRecord(digest, text, null), NOW)).toBeUndefined();
  });

  it('undoes the start modulus from any later reading within 194 days, and caps what does not fit', () => {
    const started = NOW - 100;
    const modulus = 64 ** 4;
    const record = packRecord(digest, `2,${started},`, null);
    expect(recordHistory(record, NOW)).toBe(`2,${started},`);
    expect(recordHistory(record, started + modulus - 1)).toBe(`2,${started},`);
    // Busy and slots beyond the record's room are stored at its largest values, below the markers.
    expect(recordHistory(packRecord(digest, '1e9,0,1e9', null), NOW)).toBe(`${(64 ** 4 - 2) / 100},0,${(64 ** 3 - 2) / 100}`);
    // The largest pool index is one below "no pool".
    expect(recordPool(packRecord(digest, undefined, 64 ** 3 - 2))).toBe(64 ** 3 - 2);
  });

  it('reads a record that is not one as nothing', () => {
    const good = packRecord(digest, `2,${NOW},1`, 3);
    expect(recordHistory(good.slice(0, -1), NOW)).toBeUndefined();
    expect(recordHistory(`${good}A`, NOW)).toBeUndefined();
    for (const at of [5, 9, 13]) {
      const broken = `${good.slice(0, at)}*${good.slice(at + 1)}`;
      expect(recordHistory(broken, NOW)).toBeUndefined();
    }
    expect(recordPool(`${good.slice(0, 16)}*${good.slice(17)}`)).toBeNull();
  });
});

describe('the state string', () => {
  const header: StateHeader = { sequence: 12, sidsDigest: listDigest(['WQ1', 'WQ2']), namesDigest: listDigest(['sales\tWQ1']), count: 2, targetsDigest: 'T', poolsReadAtMs: 1_772_438_400_000, poolsResolved: 0.5 };
  const records = packRecord(digest, '1,0,', 1) + packRecord(digest, undefined, null);

  it('round-trips its header and records', () => {
    expect(decodeState(encodeState(header, records))).toEqual({ header, records });
    const noPools = { ...header, targetsDigest: '', poolsReadAtMs: 0, poolsResolved: 0 };
    expect(decodeState(encodeState(noPools, records))).toEqual({ header: noPools, records });
  });

  it('refuses a header it cannot read or records that do not match its count', () => {
    const text = encodeState(header, records);
    const bad = [
      undefined,
      7,
      records, // no header
      text.replace(';', ''),
      text.replace('12,', '12,x,'), // eight fields
      text.replace(';', ',9;'), // eight fields, the first seven good
      text.replace('12,', '1.5,'),
      text.replace(',2,T,', ',two,T,'),
      text.replace(',1772438400000,', ',soon,'),
      text.replace(',0.5;', ',half;'),
      text.slice(0, -1),
      `${text}A`,
      encodeState({ ...header, count: 3 }, records),
    ];
    for (const raw of bad) expect(decodeState(raw)).toBeNull();
  });
});

describe('the digests', () => {
  it('tell lists apart by content and order, and targets by content only', () => {
    expect(listDigest(['a', 'b'])).not.toBe(listDigest(['b', 'a']));
    expect(listDigest(['ab'])).not.toBe(listDigest(['a', 'b']));
    const targets = [{ sid: 'WQ1', targetWorkers: 'skills HAS "a"' }, { sid: 'WQ2', targetWorkers: null }];
    expect(targetsDigest(targets)).toBe(targetsDigest([...targets].reverse()));
    expect(targetsDigest(targets)).not.toBe(targetsDigest([targets[0]!, { sid: 'WQ2', targetWorkers: '' + 'x' }]));
    expect(targetsDigest([{ sid: 'WQ2', targetWorkers: null }])).toBe(targetsDigest([{ sid: 'WQ2', targetWorkers: '' }]));
    expect(entryDigest('{"a":1}')).toHaveLength(5);
    expect(entryDigest('{"a":1}')).not.toBe(entryDigest('{"a":2}'));
  });
});
