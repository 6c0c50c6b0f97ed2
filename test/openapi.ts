/** Twilio's OpenAPI specs (twilio-oai, as shipped in @twilio-alpha/mcp) turned into ajv validators. */
import Ajv from 'ajv';

/** OpenAPI 3.0 → JSON Schema: `nullable` becomes a null alternative, component refs become definitions. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === '$ref' && typeof value === 'string') converted[key] = value.replace('#/components/schemas/', 'spec#/definitions/');
    else if (key === 'x-twilio' || key === 'description' || key === 'example') continue;
    else converted[key] = toJsonSchema(value);
  }
  return nullable ? { anyOf: [converted, { type: 'null' }] } : converted;
}

export interface OpenApiSpec {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
}

/** An ajv instance that knows the spec's component schemas, and a way to turn any spec schema into a validator. */
export function specValidators(spec: OpenApiSpec) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uri', /^https?:\/\//);
  ajv.addFormat('date-time', (value: string) => !Number.isNaN(Date.parse(value)));
  ajv.addFormat('uri-map', true);
  // The Events list's event_date_ms: a whole number of milliseconds.
  ajv.addFormat('int64', { type: 'number', validate: (value: number) => Number.isSafeInteger(value) });
  ajv.addSchema({ $id: 'spec', definitions: toJsonSchema(spec.components.schemas) as object });
  return { ajv, compile: (schema: object) => ajv.compile(toJsonSchema(schema) as object) };
}
