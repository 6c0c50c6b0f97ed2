/** What deploys write for twilio-run, read back by twilio-run's own .env reader (dotenv 6.2). */
import fc from 'fast-check';
import { functionsEnvFile, MAX_VALUE_BYTES, twilioRunLine } from '../src/deploy/variables';

import { twilioRunReadBack } from '../src/deploy/local-files';

describe('twilioRunLine', () => {
  it('is read back byte for byte by twilio-run for any value it accepts', () => {
    const tricky = fc.constantFrom('"', "'", '\\', '\\n', '#', '=', ' ', 'ñ', '€', '`', '{', '}', '$', 'a');
    const value = fc.oneof(fc.string({ maxLength: 60 }), fc.array(tricky, { maxLength: 40 }).map((parts) => parts.join('')), fc.fullUnicodeString({ maxLength: 40 }));
    let accepted = 0;
    fc.assert(
      fc.property(value, (text) => {
        const result = twilioRunLine('KEY', text);
        if ('problem' in result) return /line break|space|bytes/.test(result.problem);
        accepted++;
        return text === '' || twilioRunReadBack(`${result.line}\n`)['KEY'] === text;
      }),
      { numRuns: 3000, seed: 1720 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  it('refuses, naming the variable, what twilio-run cannot carry', () => {
    expect(twilioRunLine('SPEECH_WORDS', 'a\nb')).toEqual({ problem: expect.stringMatching(/^SPEECH_WORDS contains a line break/) });
    expect(twilioRunLine('SPEECH_WORDS', 'a\rb')).toEqual({ problem: expect.stringMatching(/line break/) });
    expect(twilioRunLine('WAIT_TIME_API_KEY', ' padded')).toEqual({ problem: expect.stringMatching(/^WAIT_TIME_API_KEY starts or ends with a space/) });
    expect(twilioRunLine('SPEECH_WORDS', 'é'.repeat(226))).toEqual({ problem: `SPEECH_WORDS is 452 bytes; Twilio takes at most ${MAX_VALUE_BYTES} per environment variable` });
    expect(twilioRunLine('SPEECH_WORDS', 'x'.repeat(450))).toEqual({ line: `SPEECH_WORDS=${'x'.repeat(450)}` });
  });
});

describe('functionsEnvFile', () => {
  it('holds only the deployed variables that have a value, and lists what it could not write', () => {
    const { text, uploaded, problems } = functionsEnvFile({ TWILIO_WORKSPACE_SID: 'WS1', TWILIO_AUTH_TOKEN: 'secret', SPEECH_STYLE: '', SPEECH_WORDS: '{"a":"b"}', WAIT_TIME_API_KEY: 'x\ny' });
    expect(Object.keys(uploaded)).toEqual(['TWILIO_WORKSPACE_SID', 'SPEECH_WORDS', 'WAIT_TIME_API_KEY']);
    expect(twilioRunReadBack(text)).toEqual({ TWILIO_WORKSPACE_SID: 'WS1', SPEECH_WORDS: '{"a":"b"}' });
    expect(text).not.toContain('secret');
    expect(problems).toEqual(['WAIT_TIME_API_KEY contains a line break, which twilio-run\'s .env reader cannot carry']);
  });
});
