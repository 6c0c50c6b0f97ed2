/**
 * A stand-in for Twilio Studio's Flows API (twilio_studio_v2), served by the Serverless stand-in for the
 * host studio.twilio.com: `Flows/Validate` checks a definition the way Studio documents its flow JSON
 * (https://www.twilio.com/docs/studio/rest-api/v2/flow), and `Flows` keeps flows and revisions.
 */
type Json = Record<string, unknown>;

/** Widget types and the properties each needs, from Studio's widget library documentation. */
const REQUIRED: Record<string, (properties: Json) => string[]> = {
  trigger: () => [],
  'run-function': (p) => [
    ...(/^ZS[0-9a-f]{32}$/.test(String(p['service_sid'])) ? [] : ['service_sid must be a Service SID']),
    ...(/^ZE[0-9a-f]{32}$/.test(String(p['environment_sid'])) ? [] : ['environment_sid must be an Environment SID']),
    ...(/^ZH[0-9a-f]{32}$/.test(String(p['function_sid'])) ? [] : ['function_sid must be a Function SID']),
    ...(/^https:\/\/[^/]+\//.test(String(p['url'])) ? [] : ['url must be an https URL']),
  ],
  'make-http-request': (p) => [...(['GET', 'POST'].includes(String(p['method'])) ? [] : ['method must be GET or POST']), ...(/^https?:\/\//.test(String(p['url'])) ? [] : ['url must be an http(s) URL'])],
  'split-based-on': (p) => (typeof p['input'] === 'string' ? [] : ['input is required']),
  'say-play': (p) => (typeof p['say'] === 'string' || typeof p['play'] === 'string' ? [] : ['say or play is required']),
  'enqueue-call': (p) => [...(/^WW[0-9a-f]{32}$/.test(String(p['workflow_sid'])) ? [] : ['workflow_sid must be a Workflow SID']), ...(p['wait_url'] === undefined || /^https:\/\//.test(String(p['wait_url'])) ? [] : ['wait_url must be an https URL'])],
};

/** Every problem Studio would report for a flow definition; empty when valid. */
export function flowProblems(definition: unknown): string[] {
  if (typeof definition !== 'object' || definition === null) return ['the definition is not a JSON object'];
  const flow = definition as { states?: unknown; initial_state?: unknown };
  if (!Array.isArray(flow.states) || flow.states.length === 0) return ['states must be a non-empty array'];
  const states = flow.states as { name?: unknown; type?: unknown; transitions?: unknown; properties?: unknown }[];
  const names = new Set<string>();
  const problems: string[] = [];
  for (const state of states) {
    const name = String(state.name);
    if (!/^[A-Za-z0-9_]+$/.test(name)) problems.push(`state name "${name}" must be letters, digits and underscores`);
    if (names.has(name)) problems.push(`state name "${name}" is used twice`);
    names.add(name);
  }
  if (!names.has(String(flow.initial_state))) problems.push(`initial_state "${String(flow.initial_state)}" is not a state`);
  if (states.filter((state) => state.type === 'trigger').length !== 1) problems.push('a flow has exactly one trigger');
  for (const state of states) {
    const check = REQUIRED[String(state.type)];
    if (!check) {
      problems.push(`state ${String(state.name)}: unknown widget type "${String(state.type)}"`);
      continue;
    }
    for (const problem of check((state.properties ?? {}) as Json)) problems.push(`state ${String(state.name)}: ${problem}`);
    if (!Array.isArray(state.transitions)) problems.push(`state ${String(state.name)}: transitions must be an array`);
    else for (const transition of state.transitions as { next?: unknown; event?: unknown }[]) {
      if (typeof transition.event !== 'string') problems.push(`state ${String(state.name)}: a transition without an event`);
      if (transition.next !== undefined && !names.has(String(transition.next))) problems.push(`state ${String(state.name)}: transition ${String(transition.event)} goes to "${String(transition.next)}", which is not a state`);
    }
  }
  return problems;
}

/** The Flows API of the stand-in: what it keeps, and its router. */
export function studioApi(accountSid: string, sid: (prefix: string) => string) {
  const flows: Json[] = [];
  const now = '2026-11-29T12:00:00Z';
  const base = 'https://studio.twilio.com/v2/Flows';
  const invalid = (problems: string[]) => ({ status: 400, body: { code: 20001, message: 'Invalid Flow Definition', more_info: 'https://www.twilio.com/docs/errors/20001', status: 400, details: { errors: problems } } });
  const parse = (text: string | undefined): { definition: unknown; problems: string[] } => {
    try {
      const definition: unknown = JSON.parse(text ?? '');
      return { definition, problems: flowProblems(definition) };
    } catch {
      return { definition: null, problems: ['Definition is not JSON'] };
    }
  };
  const route = (method: string, path: string, fields: Record<string, string[]>): { status: number; body: Json } => {
    const one = (name: string) => fields[name]?.[0];
    const parts = path.split('/').filter(Boolean); // v2, Flows, …
    if (parts[0] !== 'v2' || parts[1] !== 'Flows') return { status: 404, body: { code: 20404, message: 'not found', status: 404 } };
    if (parts[2] === 'Validate' && method === 'POST') {
      const { problems } = parse(one('Definition'));
      return problems.length > 0 ? invalid(problems) : { status: 200, body: { valid: true } };
    }
    if (parts.length === 2 && method === 'GET') return { status: 200, body: { flows, meta: { first_page_url: `${base}?PageSize=50&Page=0`, key: 'flows', next_page_url: null, page: 0, page_size: 50, previous_page_url: null, url: `${base}?PageSize=50&Page=0` } } };
    const { definition, problems } = parse(one('Definition'));
    if (parts.length === 2 && method === 'POST') {
      if (problems.length > 0) return invalid(problems);
      const flow: Json = { sid: sid('FW'), account_sid: accountSid, friendly_name: one('FriendlyName'), definition, status: one('Status'), revision: 1, commit_message: one('CommitMessage') ?? null, valid: true, errors: [], warnings: [], date_created: now, date_updated: now, webhook_url: '', url: '', links: {} };
      flow['url'] = `${base}/${flow['sid']}`;
      flow['webhook_url'] = `https://webhooks.twilio.com/v1/Accounts/${accountSid}/Flows/${flow['sid']}`;
      flows.push(flow);
      return { status: 200, body: flow };
    }
    const flow = flows.find((item) => item['sid'] === parts[2]);
    if (!flow) return { status: 404, body: { code: 20404, message: 'flow not found', status: 404 } };
    if (method === 'GET') return { status: 200, body: flow };
    if (problems.length > 0) return invalid(problems);
    Object.assign(flow, { definition, status: one('Status'), revision: Number(flow['revision']) + 1, commit_message: one('CommitMessage') ?? null, date_updated: now });
    return { status: 200, body: flow };
  };
  return { flows, route };
}
