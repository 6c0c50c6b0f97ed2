/**
 * The Studio flow for a deploy: look the queue up, read its wait, tell the caller, enqueue with hold
 * music that announces the remaining wait; after hours (`no_agents`) a message and no Enqueue; when the
 * wait cannot be read, enqueue without a number. `npm run flow` fills it from the Serverless API.
 */

/** What the flow needs to know about the deploy and the account. */
export interface FlowSettings {
  serviceSid: string;
  environmentSid: string;
  /** e.g. queue-wait-times-1234-dev.twil.io */
  domain: string;
  functions: { lookupQueueSid: string; getQueueTimes: string; holdMusic: string };
  workflowSid: string;
  /** The queue (or Workflow filter) name the caller's wait is read for. */
  queueName: string;
  channel: string;
  /** SAY_VOICE and SAY_LANGUAGE: the same voice as hold music's. */
  sayVoice: string | undefined;
  sayLanguage: string | undefined;
  /** WAIT_TIME_API_KEY, when get-queue-times requires it. */
  apiKey: string | undefined;
}

export type FlowDefinition = {
  description: string;
  states: FlowState[];
  initial_state: string;
  flags: { allow_concurrent_calls: boolean };
};

export interface FlowState {
  name: string;
  type: string;
  transitions: { event: string; next?: string; conditions?: unknown[] }[];
  properties: Record<string, unknown>;
}

/** The committed template's settings (flows/queue-wait-time.studio.json): placeholders npm run flow fills in. */
export function templateSettings(queueName = 'Support'): FlowSettings {
  return {
    serviceSid: 'YOUR-SERVICE-SID (ZS...)', environmentSid: 'YOUR-ENVIRONMENT-SID (ZE...)', domain: 'YOUR-SERVICE-DOMAIN.twil.io',
    functions: { lookupQueueSid: 'YOUR-LOOKUP-FUNCTION-SID (ZH...)', getQueueTimes: 'YOUR-GET-QUEUE-TIMES-FUNCTION-SID (ZH...)', holdMusic: 'YOUR-HOLD-MUSIC-FUNCTION-SID (ZH...)' },
    workflowSid: 'YOUR-WORKFLOW-SID (WW...)', queueName, channel: 'voice', sayVoice: undefined, sayLanguage: undefined, apiKey: undefined,
  };
}

const offset = (x: number, y: number) => ({ offset: { x, y } });

/** The definition, ready for Studio's Flows API (or Studio's import). */
export function flowDefinition(settings: FlowSettings): FlowDefinition {
  const base = `https://${settings.domain}`;
  const say = (text: string) => ({ say: text, ...(settings.sayVoice ? { voice: settings.sayVoice } : {}), ...(settings.sayLanguage ? { language: settings.sayLanguage } : {}), loop: 1 });
  const waitParameters = [
    { key: 'queueSid', value: '{{widgets.lookup_queue.parsed.queueSid}}' },
    { key: 'channel', value: settings.channel },
    ...(settings.apiKey ? [{ key: 'key', value: settings.apiKey }] : []),
  ];
  return {
    description: `Queue wait time for ${settings.queueName}: look the queue up, read its cached wait, tell the caller, enqueue with hold music that announces the remaining wait; after hours, say so and hang up. Written by npm run flow.`,
    states: [
      { name: 'Trigger', type: 'trigger', transitions: [{ event: 'incomingMessage' }, { next: 'lookup_queue', event: 'incomingCall' }, { event: 'incomingConversationMessage' }, { event: 'incomingRequest' }, { event: 'incomingParent' }], properties: offset(0, 0) },
      {
        name: 'lookup_queue',
        type: 'run-function',
        transitions: [{ next: 'get_wait', event: 'success' }, { next: 'enqueue', event: 'fail' }],
        properties: { service_sid: settings.serviceSid, environment_sid: settings.environmentSid, function_sid: settings.functions.lookupQueueSid, url: `${base}/lookup-queue-sid`, parameters: [{ key: 'queueName', value: settings.queueName }], ...offset(0, 200) },
      },
      {
        name: 'get_wait',
        type: 'make-http-request',
        transitions: [{ next: 'check_wait', event: 'success' }, { next: 'enqueue', event: 'failed' }],
        properties: { method: 'POST', content_type: 'application/x-www-form-urlencoded;charset=utf-8', url: `${base}/get-queue-times`, parameters: waitParameters, ...offset(0, 400) },
      },
      {
        name: 'check_wait',
        type: 'split-based-on',
        transitions: [
          { next: 'enqueue', event: 'noMatch' },
          { next: 'say_wait', event: 'match', conditions: [{ friendly_name: 'estimate known', arguments: ['{{widgets.get_wait.parsed.status}}'], type: 'equal_to', value: 'ok' }] },
          { next: 'say_closed', event: 'match', conditions: [{ friendly_name: 'no agents', arguments: ['{{widgets.get_wait.parsed.status}}'], type: 'equal_to', value: 'no_agents' }] },
        ],
        properties: { input: '{{widgets.get_wait.parsed.status}}', ...offset(0, 600) },
      },
      { name: 'say_wait', type: 'say-play', transitions: [{ next: 'enqueue', event: 'audioComplete' }], properties: { ...say('Thanks for calling. Your expected wait is {{widgets.get_wait.parsed.phrase}}.'), ...offset(200, 800) } },
      { name: 'say_closed', type: 'say-play', transitions: [{ event: 'audioComplete' }], properties: { ...say('Thanks for calling. Nobody can take your call right now: we are closed. Please call again during opening hours.'), ...offset(-300, 800) } },
      {
        name: 'enqueue',
        type: 'enqueue-call',
        transitions: [{ event: 'callComplete' }, { event: 'failedToEnqueue' }, { event: 'callFailure' }],
        properties: {
          workflow_sid: settings.workflowSid,
          wait_url: `${base}/hold-music?queueSid={{widgets.lookup_queue.parsed.queueSid}}&channel=${encodeURIComponent(settings.channel)}`,
          wait_url_method: 'GET',
          task_attributes: JSON.stringify({ type: 'inbound', name: '{{trigger.call.From}}', queue: settings.queueName }),
          ...offset(0, 1000),
        },
      },
    ],
    initial_state: 'Trigger',
    flags: { allow_concurrent_calls: true },
  };
}
