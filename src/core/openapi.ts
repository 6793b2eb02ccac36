// Builds OpenAPI 3.1 documents from route definitions and their zod schemas, and writes them to specs/.
import { createRequire } from 'node:module';
import { Context } from 'hono';
import type {
  ExampleObject,
  OpenApiBuilder as Builder,
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ResponseObject,
  SchemaObject,
  SecurityRequirementObject,
} from 'openapi3-ts/oas31';
import { z } from 'zod';
import { documentedErrors } from './errors.js';
import type { ErrorCatalogue, RouteDef } from './vendor.js';

type Json = Record<string, unknown>;

/**
 * The builder, loaded when the first document is built: openapi3-ts brings a YAML library along,
 * and most runs never build a document, so start-up does not pay for it.
 */
let builderClass: typeof Builder | undefined;
const OpenApiBuilder = (): typeof Builder =>
  (builderClass ??= (createRequire(import.meta.url)('openapi3-ts/oas31') as { OpenApiBuilder: typeof Builder }).OpenApiBuilder);

/**
 * Converts a zod schema to an OpenAPI schema. Schemas named with `.meta({ id })` become
 * components (collected into `components`) and are referenced, never inlined twice.
 */
export function toOpenApiSchema(schema: z.ZodType, components: Record<string, SchemaObject>, io: 'input' | 'output' = 'output'): SchemaObject {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any', reused: 'inline', override: adjust }) as Json;
  const defs = (json.$defs ?? {}) as Record<string, Json>;
  delete json.$defs;
  delete json.$schema;
  for (const [id, def] of Object.entries(defs)) components[id] = rewriteRefs(def) as SchemaObject;
  const id = (z.globalRegistry.get(schema) as { id?: string } | undefined)?.id;
  const converted = rewriteRefs(json) as SchemaObject;
  if (!id) return converted;
  const ref = `#/components/schemas/${id}`;
  // zod may already have moved the root into $defs, leaving only a reference to itself here.
  if (converted.$ref !== ref) components[id] = converted;
  return { $ref: ref } as SchemaObject;
}

const DOCUMENTED_AS = 'documentedAs';

/**
 * Shows `schema` in documents as `shown` (its description kept) where zod's own rendering would
 * mislead a client: a query parameter the server takes once or repeated is an array, as OpenAPI's
 * form style spells a repeated parameter, not zod's union of a string and an array.
 */
export const documentedAs = <T extends z.ZodType>(schema: T, shown: SchemaObject): T => schema.meta({ [DOCUMENTED_AS]: shown });

function adjust(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  showDocumentedAs(ctx);
  dropSafeIntegerBounds(ctx.jsonSchema);
}

/**
 * zod writes `.int()` as an integer between -(2^53 - 1) and 2^53 - 1, JavaScript's safe range, not
 * a bound of the vendor's: documented, it only makes Swagger UI and the like show
 * -9007199254740991 as every id's and count's sample. A bound the schema sets itself is kept.
 */
function dropSafeIntegerBounds(json: Json): void {
  if (json.type !== 'integer') return;
  if (json.minimum === Number.MIN_SAFE_INTEGER) delete json.minimum;
  if (json.maximum === Number.MAX_SAFE_INTEGER) delete json.maximum;
}

function showDocumentedAs(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  const shown = (z.globalRegistry.get(ctx.zodSchema as z.ZodType) as Json | undefined)?.[DOCUMENTED_AS] as SchemaObject | undefined;
  if (!shown) return;
  const description = ctx.jsonSchema.description;
  for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
  Object.assign(ctx.jsonSchema, shown, description === undefined ? {} : { description });
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === '$ref' && typeof v === 'string' ? v.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(v);
  }
  return out;
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function parameters(location: 'path' | 'query' | 'header', shape: z.ZodObject | undefined, components: Record<string, SchemaObject>): ParameterObject[] {
  if (!shape) return [];
  return Object.entries(shape.shape).map(([name, field]) => {
    const schema = field as z.ZodType;
    const description = (z.globalRegistry.get(schema) as { description?: string } | undefined)?.description ?? schema.description;
    const param: ParameterObject = {
      name,
      in: location,
      required: location === 'path' || !schema.safeParse(undefined).success,
      schema: toOpenApiSchema(schema, components, 'input'),
    };
    if (description) param.description = description;
    return param;
  });
}

/** `Name`: the catalogue's error names, so each route's `errors` must be names of `errors`. */
export interface DocumentInput<Name extends string = string> {
  title: string;
  version: string;
  description: string;
  serverUrl: string;
  securitySchemes: Record<string, Record<string, unknown>>;
  /** What a route without its own `security` needs; a route with `security: []` needs nothing. Default: nothing. */
  security?: RouteDef['security'];
  /** Every tag the routes use, with what the group holds, in the order the document lists them. */
  tags: Record<string, string>;
  routes: readonly RouteDef<Name>[];
  errors?: ErrorCatalogue<Name>;
}

/** Whom every document names: the project, under its licence (package.json, LICENSE). */
const CONTACT = { name: 'bulk-sandbox' };
const LICENSE = { name: 'MIT', identifier: 'MIT' };

/** A route's `security` as OpenAPI requirements: one list is all of its schemes, several lists are alternatives. */
function requirements(security: NonNullable<RouteDef['security']>): SecurityRequirementObject[] {
  if (security.length === 0) return [];
  const alternatives = (typeof security[0] === 'string' ? [security] : security) as string[][];
  return alternatives.map((schemes) => Object.fromEntries(schemes.map((s) => [s, []])));
}

/** One OpenAPI document: every route with its parameters, body, and every status it can return. */
export function buildDocument<Name extends string>(input: DocumentInput<Name>): OpenAPIObject {
  const components: Record<string, SchemaObject> = {};
  const builder = OpenApiBuilder().create({
    openapi: '3.1.0',
    info: { title: input.title, version: input.version, description: input.description, contact: CONTACT, license: LICENSE },
    servers: [{ url: input.serverUrl }],
    paths: {},
  });
  for (const [name, scheme] of Object.entries(input.securitySchemes)) builder.addSecurityScheme(name, scheme as never);
  if (input.security?.length) builder.rootDoc.security = requirements(input.security);
  const unused = new Set(Object.keys(input.tags));
  for (const [name, description] of Object.entries(input.tags)) builder.addTag({ name, description });

  const errorRef = input.errors ? toOpenApiSchema(input.errors.envelopeSchema, components) : undefined;

  const paths: Record<string, Record<string, OperationObject>> = {};
  for (const route of input.routes) {
    const responses: Record<string, ResponseObject> = {};
    if (!Object.hasOwn(input.tags, route.tag)) throw new Error(`route ${route.operationId} has tag ${route.tag}, which the document does not declare`);
    unused.delete(route.tag);
    const operation: OperationObject = { operationId: route.operationId, summary: route.summary, description: route.description, tags: [route.tag], responses };
    // `[]` is said only where it overrides a document-wide requirement.
    if (route.security && (route.security.length > 0 || input.security?.length)) operation.security = requirements(route.security);
    const params = [
      ...parameters('path', route.request?.params, components),
      ...parameters('query', route.request?.query, components),
      ...parameters('header', route.request?.headers, components),
    ];
    if (params.length) operation.parameters = params;
    const body = route.request?.body;
    if (body) {
      operation.requestBody = {
        required: !body.optional,
        ...(body.description ? { description: body.description } : {}),
        content: {
          [body.contentType ?? 'application/json']: {
            schema: toOpenApiSchema(body.schema, components, 'input'),
            ...(body.example !== undefined ? { example: body.example } : {}),
          },
        },
      };
    }
    for (const [status, doc] of Object.entries(route.responses)) {
      const response: ResponseObject = { description: doc.description };
      if (doc.schema) response.content = { [doc.contentType ?? 'application/json']: { schema: toOpenApiSchema(doc.schema, components) } };
      if (doc.headers) {
        response.headers = Object.fromEntries(
          Object.entries(doc.headers).map(([h, d]) => [h, { description: d.description, schema: toOpenApiSchema(d.schema, components) }]),
        );
      }
      responses[status] = response;
    }
    if (input.errors) addErrorResponses(route, documentedErrors(route.errors, input.errors), responses, input.errors, errorRef!);
    (paths[toOpenApiPath(route.path)] ??= {})[route.method] = operation;
  }
  if (unused.size) throw new Error(`the document declares tags no route uses: ${[...unused].join(', ')}`);
  for (const [path, item] of Object.entries(paths)) builder.addPath(path, item);
  for (const id of Object.keys(components).sort()) builder.addSchema(id, components[id]!);
  return builder.getSpec();
}

/** The sandbox time error examples are shown at (a vendor's envelope may carry a timestamp). */
export const EXAMPLE_TIME = Date.UTC(2025, 0, 1);

/**
 * The body the vendor answers `name` with on this route, rendered by the catalogue's own envelope
 * (as core/router.ts renderError does) from the catalogue's own entry, so it cannot drift from what
 * the server sends. The request is the route's, its path as documented (`/contacts/{id}`).
 */
function errorExample(route: RouteDef, name: string, catalogue: ErrorCatalogue): unknown {
  const path = toOpenApiPath(route.path);
  const request = new Request(`http://sandbox.invalid${path}`, { method: route.method.toUpperCase() });
  // `incoming.url`: the raw request target, as @hono/node-server gives it, so the path keeps its braces.
  const c = new Context(request, { env: { incoming: { url: path } } });
  return catalogue.envelope({ name, entry: catalogue.errors[name]!, error: catalogue.error(name), c, now: EXAMPLE_TIME });
}

/** Groups the route's errors by status: one response per status listing every code it carries, with an example of each. */
function addErrorResponses(route: RouteDef, names: readonly string[], responses: Record<string, ResponseObject>, catalogue: ErrorCatalogue, schema: SchemaObject): void {
  const byStatus = new Map<number, string[]>();
  for (const name of names) {
    const entry = catalogue.errors[name];
    if (!entry) throw new Error(`route ${route.operationId} names unknown error ${name}`);
    byStatus.set(entry.status, [...(byStatus.get(entry.status) ?? []), name]);
  }
  for (const [status, group] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const headers: Record<string, { description: string; schema: SchemaObject }> = {};
    const lines = group.map((name) => {
      const entry = catalogue.errors[name]!;
      for (const [h, d] of Object.entries(entry.responseHeaders ?? {})) headers[h] = { description: d, schema: { type: 'string' } };
      return `- \`${name}\`: ${entry.description ?? entry.message}`;
    });
    const examples: Record<string, ExampleObject> = Object.fromEntries(
      group.map((name) => [name, { summary: catalogue.errors[name]!.message, value: errorExample(route, name, catalogue) }]),
    );
    const response: ResponseObject = {
      description: lines.join('\n'),
      content: { 'application/json': { schema, examples } },
    };
    if (Object.keys(headers).length) response.headers = headers;
    responses[String(status)] = response;
  }
}

/** Stable, diff-friendly serialisation used for both writing and drift checks. */
export const serializeDocument = (doc: OpenAPIObject): string => `${JSON.stringify(doc, null, 2)}\n`;
