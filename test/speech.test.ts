import { announce, ENGLISH, fill, parseSpeechWords, roundMinutes } from '../src/speech';

describe('speech', () => {
  it('rounds the way people talk: whole minutes to 10, then steps of 5', () => {
    expect(roundMinutes(89)).toBe(1);
    expect(roundMinutes(150)).toBe(3);
    expect(roundMinutes(9 * 60 + 20)).toBe(9);
    expect(roundMinutes(12 * 60)).toBe(10);
    expect(roundMinutes(13 * 60)).toBe(15);
  });

  it('phrases each style with the range it is true for', () => {
    expect(announce(30, 'approximate')).toEqual({ phrase: 'less than a minute', minSeconds: 0, maxSeconds: 60 });
    expect(announce(70, 'approximate').phrase).toBe('about 1 minute');
    expect(announce(200, 'approximate')).toEqual({ phrase: 'about 3 minutes', minSeconds: 150, maxSeconds: 210 });
    expect(announce(200, 'less-than')).toEqual({ phrase: 'less than 4 minutes', minSeconds: 0, maxSeconds: 240 });
    expect(announce(200, 'range')).toEqual({ phrase: '3 to 4 minutes', minSeconds: 180, maxSeconds: 240 });
    expect(announce(17 * 60, 'range').phrase).toBe('15 to 20 minutes');
    expect(announce(17 * 60, 'approximate').phrase).toBe('about 15 minutes');
    // At 10 minutes the steps become 5 minutes wide; a wait on a step's edge is past it.
    expect(announce(600, 'approximate')).toEqual({ phrase: 'about 10 minutes', minSeconds: 450, maxSeconds: 750 });
    expect(announce(17 * 60, 'approximate')).toMatchObject({ minSeconds: 750, maxSeconds: 1050 });
    expect(announce(120, 'less-than')).toEqual({ phrase: 'less than 3 minutes', minSeconds: 0, maxSeconds: 180 });
    expect(announce(120, 'range')).toEqual({ phrase: '2 to 3 minutes', minSeconds: 120, maxSeconds: 180 });
  });

  it('takes other languages\' words and refuses malformed ones', () => {
    const words = parseSpeechWords(JSON.stringify({ lessThanAMinute: 'menos de un minuto', aboutMinutes: 'unos {n} minutos' }));
    expect(typeof words).toBe('object');
    expect(announce(300, 'approximate', words as typeof ENGLISH).phrase).toBe('unos 5 minutos');
    expect(parseSpeechWords('[]')).toBe('SPEECH_WORDS must be a JSON object');
    expect(parseSpeechWords('{"nope": "x"}')).toBe(`SPEECH_WORDS has an unknown key "nope"; known: ${Object.keys(ENGLISH).join(', ')}`);
    for (const notObject of ['null', '5', '"words"', 'not json']) expect(parseSpeechWords(notObject)).toBe('SPEECH_WORDS must be a JSON object');
    expect(parseSpeechWords(undefined)).toBe(ENGLISH);
    expect((words as typeof ENGLISH).holdAnnouncement).toBe(ENGLISH.holdAnnouncement);
    expect(parseSpeechWords('{"aboutMinutes": 5}')).toBe('SPEECH_WORDS.aboutMinutes must be a non-empty string');
    expect(parseSpeechWords('{"aboutMinutes": "  "}')).toBe('SPEECH_WORDS.aboutMinutes must be a non-empty string');
    // Names every object has are not words either.
    for (const key of ['toString', 'constructor', '__proto__']) expect(parseSpeechWords(`{"${key}": "x"}`)).toMatch(`unknown key "${key}"`);
    expect(parseSpeechWords('{"aboutMinutes": ""}')).toBe('SPEECH_WORDS.aboutMinutes must be a non-empty string');
    // A placeholder that is not a value stays as written, even one named like an object's method.
    expect(fill('{n} {low} {toString}', { n: 3 })).toBe('3 {low} {toString}');
  });

  it('the range style speaks the predicted range when there is one', () => {
    expect(announce(200, 'range', ENGLISH, { low: 130, high: 330 })).toEqual({ phrase: '2 to 6 minutes', minSeconds: 120, maxSeconds: 360 });
    expect(announce(80, 'range', ENGLISH, { low: 20, high: 170 })).toEqual({ phrase: 'less than 3 minutes', minSeconds: 0, maxSeconds: 180 });
    expect(announce(0, 'range', ENGLISH, { low: 0, high: 60 }).phrase).toBe('less than a minute');
    // A range from the first minute's end on names its minutes; a range inside one minute spans one.
    expect(announce(100, 'range', ENGLISH, { low: 60, high: 200 })).toEqual({ phrase: '1 to 4 minutes', minSeconds: 60, maxSeconds: 240 });
    expect(announce(120, 'range', ENGLISH, { low: 120, high: 120 })).toEqual({ phrase: '2 to 3 minutes', minSeconds: 120, maxSeconds: 180 });
    // Other styles ignore the range.
    expect(announce(200, 'approximate', ENGLISH, { low: 130, high: 330 }).phrase).toBe('about 3 minutes');
  });
});
