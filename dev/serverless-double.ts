/**
 * A stand-in for Twilio's Serverless API (serverless.twilio.com and serverless-upload.twilio.com), for
 * the deploy rehearsal: the resources `twilio-run deploy` creates, in the shapes of the official
 * `twilio_serverless_v1` OpenAPI spec, over HTTPS with a certificate the test makes. It records every
 * request and checks it against the spec (path, method, form parameters, required ones, enums);
 * the spec does not describe the upload host's version POSTs, so those are checked against what
 * Twilio's docs say they take (Path, Visibility, Content).
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { studioApi } from './studio-double';
import { sidFor } from './workspace-model';

type Json = Record<string, unknown>;
interface SpecOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, { $ref?: string; type?: string; items?: unknown }>; required?: string[] } }> };
}
export interface ServerlessSpec {
  paths: Record<string, Record<string, SpecOperation>>;
  components: { schemas: Record<string, { enum?: string[] }> };
}

/** One request as the stand-in saw it, with what the spec check found wrong (empty when valid). */
export interface RecordedRequest {
  host: string;
  method: string;
  path: string;
  /** Form fields (repeated keys keep every value), or multipart fields (Content as text). */
  fields: Record<string, string[]>;
  problems: string[];
  /** What the stand-in answered, for tests that check the answers against the spec too. */
  status: number;
  response: Json;
}

export interface ServerlessDouble {
  port: number;
  requests: RecordedRequest[];
  state: {
    services: Json[];
    /** Studio flows created or updated through the stand-in. */
    flows: Json[];
    functions: Json[];
    functionVersions: (Json & { content: string })[];
    assets: Json[];
    assetVersions: (Json & { content: string })[];
    builds: Json[];
    variables: Json[];
    deployments: Json[];
  };
  close(): Promise<void>;
}

const UPLOAD_FIELDS = ['Path', 'Visibility', 'Content'];

/** Parses a multipart/form-data body into fields (file contents as text). */
function multipart(body: Buffer, contentType: string): Record<string, string[]> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const fields: Record<string, string[]> = {};
  if (!boundary) return fields;
  const marker = `--${boundary[1] ?? boundary[2]}`;
  for (const part of body.toString('latin1').split(marker).slice(1, -1)) {
    const [head, ...rest] = part.replace(/^\r\n/, '').split('\r\n\r\n');
    const name = /name="([^"]+)"/.exec(head ?? '')?.[1];
    if (name) (fields[name] ??= []).push(Buffer.from(rest.join('\r\n\r\n').replace(/\r\n$/, ''), 'latin1').toString('utf8'));
  }
  return fields;
}

function formFields(body: string): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) (fields[key] ??= []).push(value);
  return fields;
}

/** The spec's path template for a concrete path, with its method's operation. */
function specOperation(spec: ServerlessSpec, method: string, path: string): { template: string; operation: SpecOperation } | null {
  for (const [template, operations] of Object.entries(spec.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const operation = operations[method.toLowerCase()];
    if (pattern.test(path) && operation) return { template, operation };
  }
  return null;
}

/** What the spec says is wrong with this request's parameters. */
function checkAgainstSpec(spec: ServerlessSpec, method: string, path: string, query: URLSearchParams, fields: Record<string, string[]>): string[] {
  const found = specOperation(spec, method, path);
  if (!found) return [`${method} ${path} is not in the spec`];
  const problems: string[] = [];
  const queryNames = new Set((found.operation.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name));
  for (const name of query.keys()) if (!queryNames.has(name)) problems.push(`query parameter ${name} is not in the spec for ${method} ${found.template}`);
  const schema = found.operation.requestBody?.content['application/x-www-form-urlencoded']?.schema;
  if (method === 'POST') {
    if (!schema) return [...problems, `POST ${found.template} takes no form body in the spec`];
    for (const [name, values] of Object.entries(fields)) {
      const property = schema.properties?.[name];
      if (!property) {
        problems.push(`form parameter ${name} is not in the spec for POST ${found.template}`);
        continue;
      }
      const ref = property.$ref ?? (property.items as { $ref?: string } | undefined)?.$ref;
      const allowed = ref ? spec.components.schemas[ref.replace('#/components/schemas/', '')]?.enum : undefined;
      if (allowed) for (const value of values) if (!allowed.includes(value)) problems.push(`${name}=${value} is not one of ${allowed.join(', ')}`);
      if (values.length > 1 && property.type !== 'array') problems.push(`${name} is repeated but not an array in the spec`);
    }
    for (const name of schema.required ?? []) if (!fields[name]) problems.push(`required form parameter ${name} missing for POST ${found.template}`);
  }
  return problems;
}

export async function startServerlessDouble(options: { spec: ServerlessSpec; studioSpec?: ServerlessSpec; key: string; cert: string; accountSid: string }): Promise<ServerlessDouble> {
  const { spec, accountSid } = options;
  const requests: RecordedRequest[] = [];
  const state: ServerlessDouble['state'] = { services: [], flows: [], functions: [], functionVersions: [], assets: [], assetVersions: [], builds: [], variables: [], deployments: [] };
  const services = state.services;
  const environments: Json[] = [];
  const now = '2026-11-29T12:00:00Z';
  let counter = 0;
  const sid = (prefix: string) => sidFor(prefix, `serverless-double-${++counter}`);
  // Studio's Flows API on its own host, so npm run flow can be rehearsed beside the deploy.
  const studio = studioApi(accountSid, sid);
  state.flows = studio.flows;
  const base = 'https://serverless.twilio.com/v1';
  const list = (key: string, items: Json[], url: string) => ({ [key]: items, meta: { first_page_url: `${url}?PageSize=50&Page=0`, key, next_page_url: null, page: 0, page_size: 50, previous_page_url: null, url: `${url}?PageSize=50&Page=0` } });

  const route = (method: string, path: string, fields: Record<string, string[]>): { status: number; body: Json } => {
    const one = (name: string) => fields[name]?.[0];
    const parts = path.split('/').filter(Boolean); // v1, Services, ZS…, …
    const service = services.find((item) => item['sid'] === parts[2]);
    if (parts[1] !== 'Services') return { status: 404, body: { code: 20404, message: 'not found', status: 404 } };
    if (parts.length === 2) {
      if (method === 'GET') return { status: 200, body: list('services', services, `${base}/Services`) };
      // As Twilio: a Service's unique name is unique in the account (error 54301).
      if (services.some((item) => item['unique_name'] === one('UniqueName'))) return { status: 409, body: { code: 54301, message: `Unique name ${one('UniqueName')} already in use`, more_info: 'https://www.twilio.com/docs/errors/54301', status: 409 } };
      const created: Json = { sid: sid('ZS'), account_sid: accountSid, friendly_name: one('FriendlyName'), unique_name: one('UniqueName'), include_credentials: one('IncludeCredentials') === 'true', ui_editable: one('UiEditable') === 'true', domain_base: 'qwt-1234', date_created: now, date_updated: now, url: '', links: {} };
      created['url'] = `${base}/Services/${created['sid']}`;
      services.push(created);
      return { status: 201, body: created };
    }
    if (!service) return { status: 404, body: { code: 20404, message: 'service not found', status: 404 } };
    const serviceUrl = `${base}/Services/${service['sid']}`;
    if (parts.length === 3) return { status: 200, body: service };
    const collection = parts[3];
    if (collection === 'Environments' && parts.length === 4) {
      if (method === 'GET') return { status: 200, body: list('environments', environments.filter((item) => item['service_sid'] === service['sid']), `${serviceUrl}/Environments`) };
      const suffix = one('DomainSuffix');
      const created: Json = { sid: sid('ZE'), account_sid: accountSid, service_sid: service['sid'], build_sid: null, unique_name: one('UniqueName'), domain_suffix: suffix ?? null, domain_name: `qwt-1234${suffix ? `-${suffix}` : ''}.twil.io`, date_created: now, date_updated: now, url: '', links: {} };
      created['url'] = `${serviceUrl}/Environments/${created['sid']}`;
      environments.push(created);
      return { status: 201, body: created };
    }
    if (collection === 'Environments') {
      const environment = environments.find((item) => item['sid'] === parts[4]);
      if (!environment) return { status: 404, body: { code: 20404, message: 'environment not found', status: 404 } };
      if (parts.length === 5) return { status: 200, body: environment };
      const environmentUrl = `${serviceUrl}/Environments/${environment['sid']}`;
      if (parts[5] === 'Variables' && parts.length === 7) {
        const variable = state.variables.find((item) => item['sid'] === parts[6] && item['environment_sid'] === environment['sid']);
        if (!variable) return { status: 404, body: { code: 20404, message: 'variable not found', status: 404 } };
        if (method === 'DELETE') {
          state.variables.splice(state.variables.indexOf(variable), 1);
          return { status: 204, body: {} };
        }
        if (one('Value') !== undefined) variable['value'] = one('Value');
        if (one('Key') !== undefined) variable['key'] = one('Key');
        return { status: 200, body: variable };
      }
      if (parts[5] === 'Variables') {
        if (method === 'GET') return { status: 200, body: list('variables', state.variables.filter((item) => item['environment_sid'] === environment['sid']), `${environmentUrl}/Variables`) };
        const created: Json = { sid: sid('ZV'), account_sid: accountSid, service_sid: service['sid'], environment_sid: environment['sid'], key: one('Key'), value: one('Value'), date_created: now, date_updated: now, url: '' };
        created['url'] = `${environmentUrl}/Variables/${created['sid']}`;
        state.variables.push(created);
        return { status: 201, body: created };
      }
      if (parts[5] === 'Deployments') {
        const created: Json = { sid: sid('ZD'), account_sid: accountSid, service_sid: service['sid'], environment_sid: environment['sid'], build_sid: one('BuildSid'), date_created: now, date_updated: now, url: '' };
        created['url'] = `${environmentUrl}/Deployments/${created['sid']}`;
        state.deployments.push(created);
        environment['build_sid'] = one('BuildSid');
        return { status: 201, body: created };
      }
    }
    if (collection === 'Functions' || collection === 'Assets') {
      const resources = collection === 'Functions' ? state.functions : state.assets;
      const versions = collection === 'Functions' ? state.functionVersions : state.assetVersions;
      const key = collection === 'Functions' ? 'functions' : 'assets';
      if (parts.length === 4) {
        if (method === 'GET') return { status: 200, body: list(key, resources.filter((item) => item['service_sid'] === service['sid']), `${serviceUrl}/${collection}`) };
        const created: Json = { sid: sid('ZH'), account_sid: accountSid, service_sid: service['sid'], friendly_name: one('FriendlyName'), date_created: now, date_updated: now, url: '', links: {} };
        created['url'] = `${serviceUrl}/${collection}/${created['sid']}`;
        resources.push(created);
        return { status: 201, body: created };
      }
      const resource = resources.find((item) => item['sid'] === parts[4]);
      if (!resource) return { status: 404, body: { code: 20404, message: `${collection} resource not found`, status: 404 } };
      if (parts[5] === 'Versions' && method === 'POST') {
        const created = { sid: sid('ZN'), account_sid: accountSid, service_sid: service['sid'], [collection === 'Functions' ? 'function_sid' : 'asset_sid']: resource['sid'], path: one('Path'), visibility: one('Visibility'), date_created: now, url: '', links: {}, content: one('Content') ?? '' };
        created.url = `${serviceUrl}/${collection}/${resource['sid']}/Versions/${created.sid}`;
        versions.push(created);
        const { content: _content, ...body } = created;
        return { status: 201, body };
      }
    }
    if (collection === 'Builds') {
      if (parts.length === 4 && method === 'POST') {
        const fnVersions = (fields['FunctionVersions'] ?? []).map((versionSid) => state.functionVersions.find((item) => item['sid'] === versionSid)).filter(Boolean);
        const assetVersions = (fields['AssetVersions'] ?? []).map((versionSid) => state.assetVersions.find((item) => item['sid'] === versionSid)).filter(Boolean);
        const dependencies = one('Dependencies');
        const created: Json = {
          sid: sid('ZB'), account_sid: accountSid, service_sid: service['sid'], status: 'building', runtime: one('Runtime') ?? 'node22',
          asset_versions: assetVersions.map((version) => { const { content: _c, ...rest } = version!; return rest; }),
          function_versions: fnVersions.map((version) => { const { content: _c, ...rest } = version!; return rest; }),
          // twilio-run sends the list as JSON wrapped in a pair of quotes.
          dependencies: dependencies ? JSON.parse(dependencies.replace(/^"|"$/g, '')) : [],
          date_created: now, date_updated: now, url: '', links: {},
        };
        created['url'] = `${serviceUrl}/Builds/${created['sid']}`;
        state.builds.push(created);
        return { status: 201, body: created };
      }
      const build = state.builds.find((item) => item['sid'] === parts[4]);
      if (!build) return { status: 404, body: { code: 20404, message: 'build not found', status: 404 } };
      // The build finishes on the first look, so the rehearsal does not wait for twilio-run's 1 s poll.
      build['status'] = 'completed';
      if (parts[5] === 'Status') return { status: 200, body: { sid: build['sid'], account_sid: accountSid, service_sid: service['sid'], status: 'completed', url: `${serviceUrl}/Builds/${build['sid']}/Status` } };
      return { status: 200, body: build };
    }
    return { status: 404, body: { code: 20404, message: `no route for ${method} ${path}`, status: 404 } };
  };

  const server: Server = createServer({ key: options.key, cert: options.cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'https://serverless.twilio.com');
      const host = String(request.headers.host ?? '').split(':')[0]!;
      const method = request.method ?? 'GET';
      const body = Buffer.concat(chunks);
      const contentType = String(request.headers['content-type'] ?? '');
      const fields = contentType.startsWith('multipart/form-data') ? multipart(body, contentType) : formFields(body.toString('utf8'));
      const upload = host === 'serverless-upload.twilio.com';
      const isStudio = host === 'studio.twilio.com';
      const problems = upload
        ? UPLOAD_FIELDS.filter((name) => !fields[name]).map((name) => `upload without ${name}`).concat(Object.keys(fields).filter((name) => !UPLOAD_FIELDS.includes(name)).map((name) => `upload field ${name} is not one Twilio documents`))
        : isStudio
          ? options.studioSpec ? checkAgainstSpec(options.studioSpec, method, url.pathname, url.searchParams, fields) : ['no Studio spec given to the stand-in']
          : checkAgainstSpec(spec, method, url.pathname, url.searchParams, fields);
      if (!/^Basic /.test(String(request.headers.authorization ?? ''))) problems.push('no basic auth');
      let status: number;
      let answer: Json;
      try {
        ({ status, body: answer } = isStudio ? studio.route(method, url.pathname, fields) : route(method, url.pathname, fields));
      } catch (error) {
        status = 500;
        answer = { code: 20500, message: `stand-in failed: ${(error as Error).message}`, status: 500 };
        problems.push(`the stand-in could not handle it: ${(error as Error).message}`);
      }
      requests.push({ host, method, path: url.pathname, fields, problems, status, response: answer });
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(status === 204 ? undefined : JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
