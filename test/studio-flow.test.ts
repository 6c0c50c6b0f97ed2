/** The Studio flow: the committed template is what npm run flow writes, and the stand-in's check can fail. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowProblems } from '../dev/studio-double';
import { flowDefinition, templateSettings, type FlowSettings } from '../src/studio/flow';

const settings: FlowSettings = {
  serviceSid: `ZS${'1'.repeat(32)}`, environmentSid: `ZE${'2'.repeat(32)}`, domain: 'waits-1234-dev.twil.io',
  functions: { lookupQueueSid: `ZH${'3'.repeat(32)}`, getQueueTimes: `ZH${'4'.repeat(32)}`, holdMusic: `ZH${'5'.repeat(32)}` },
  workflowSid: `WW${'6'.repeat(32)}`, queueName: 'Support', channel: 'voice', sayVoice: 'Polly.Lupe', sayLanguage: 'es-US', apiKey: 'studio-key',
};

describe('the Studio flow', () => {
  it('is valid as Studio checks flows, and a broken one is not', () => {
    const flow = flowDefinition(settings);
    expect(flowProblems(flow)).toEqual([]);
    const broken = structuredClone(flow);
    broken.states[1]!.transitions[0]!.next = 'nowhere';
    broken.states[2]!.properties['method'] = 'PUT';
    expect(flowProblems(broken)).toEqual(['state lookup_queue: transition success goes to "nowhere", which is not a state', 'state get_wait: method must be GET or POST']);
  });

  it('carries the API key when get-queue-times needs one, and the voice in every Say', () => {
    const flow = flowDefinition(settings);
    const getWait = flow.states.find((state) => state.name === 'get_wait')!;
    expect(getWait.properties['parameters']).toContainEqual({ key: 'key', value: 'studio-key' });
    const says = flow.states.filter((candidate) => candidate.type === 'say-play');
    expect(says.map((state) => state.name)).toEqual(['say_wait', 'say_closed']);
    for (const state of says) expect(state.properties).toMatchObject({ voice: 'Polly.Lupe', language: 'es-US' });
    expect(flowDefinition({ ...settings, apiKey: undefined }).states.find((state) => state.name === 'get_wait')!.properties['parameters']).not.toContainEqual(expect.objectContaining({ key: 'key' }));
  });

  it('the committed template is npm run flow -- --placeholders', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'flows', 'queue-wait-time.studio.json'), 'utf8')) as unknown;
    const template = flowDefinition(templateSettings());
    expect(committed).toEqual(template);
  });
});
