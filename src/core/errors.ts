// One error type for the whole sandbox; each vendor's catalogue decides how it looks on the wire.
import type { Context } from 'hono';
import type { z } from 'zod';

/** Failures the core itself detects; a vendor maps those it has its own answer for (fromCore). */
export const CORE_ERROR_CODES = [
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'INVALID_BODY',
  /** A request header the sandbox itself reads (X-Sandbox-Namespace) is malformed. */
  'INVALID_HEADER',
  /** A query or path parameter does not match what the route declares (core/router.ts validates them). */
  'INVALID_INPUT',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'INTERNAL',
] as const;
export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];

export interface SandboxErrorOptions {
  /** Overrides the catalogue's default message where the vendor's envelope shows one. */
  message?: string;
  headers?: Record<string, string>;
  /** Extra fields a vendor envelope may carry (e.g. validation details). */
  extra?: Record<string, unknown>;
}

declare const errorNameBrand: unique symbol;
/**
 * A catalogue name, as only a catalogue hands it out (`catalogue.error(...)`): SandboxError takes
 * no plain string besides the core codes, so a misspelled name fails tsc instead of answering 500.
 */
export type ErrorName = string & { readonly [errorNameBrand]: true };

/**
 * Thrown anywhere a request must stop. `code` is a core code or a name from the current
 * vendor's error catalogue; the vendor router renders it in that vendor's envelope.
 */
export class SandboxError extends Error {
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;
  readonly customMessage: string | undefined;

  constructor(
    readonly code: CoreErrorCode | ErrorName,
    options: SandboxErrorOptions = {},
  ) {
    super(options.message ?? code);
    this.name = 'SandboxError';
    this.customMessage = options.message;
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? {};
  }
}

export const isCoreErrorCode = (code: string): code is CoreErrorCode =>
  (CORE_ERROR_CODES as readonly string[]).includes(code);

/** One request-level error a vendor can answer with: what faults, docs and coverage read. */
export interface ErrorEntry {
  status: number;
  message: string;
  description?: string;
  /** Response headers this error always carries, by name, with what they mean (for the docs). */
  responseHeaders?: Record<string, string>;
  /** Header values used when the thrown error sets none (e.g. a faked RATE_LIMITED's Retry-After). */
  defaultHeaders?: Record<string, string>;
  /**
   * A generic error: one the vendor can answer on any call (its 5xx, or what it documents for every
   * call). Marked here once; the core adds it to every route's documented errors (`documentedErrors`).
   */
  generic?: boolean;
}

/** One way a single row of a bulk request can fail, in the vendor's words. */
export interface RowErrorEntry {
  message: string;
  description?: string;
}

/**
 * How the core's failures answer where a vendor maps none: a fixed status and message, in the
 * sandbox's own neutral body `{ "error": { "code", "message" } }` (the control API's shape), never
 * the vendor's envelope: the vendor has no such error, so a body dressed as one would be a lie.
 */
export const CORE_ERROR_DEFAULTS: Readonly<Record<CoreErrorCode, ErrorEntry>> = {
  NOT_FOUND: { status: 404, message: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed', responseHeaders: { Allow: 'The methods this path accepts' } },
  INVALID_BODY: { status: 400, message: 'Invalid request body' },
  INVALID_HEADER: { status: 400, message: 'Invalid request header' },
  INVALID_INPUT: { status: 400, message: 'Invalid request parameter' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  RATE_LIMITED: { status: 429, message: 'Too many requests', defaultHeaders: { 'Retry-After': '1' } },
  INTERNAL: { status: 500, message: 'Internal error' },
};

/** The neutral body of a core default (and of the fixed 500 when rendering itself fails). */
export const neutralErrorBody = (code: string, message: string) => ({ error: { code, message } });

/**
 * Which catalogue name answers each core failure. INTERNAL is required (every API has its 500);
 * the others only where the vendor has its own answer, else CORE_ERROR_DEFAULTS answers. A name
 * that is itself a core code can only answer that code: at run time `NOT_FOUND` thrown by the core
 * and `NOT_FOUND` armed as a fault are the same string, so they must be the same answer.
 */
export type CoreErrorMapping<Name extends string> = {
  [K in Exclude<CoreErrorCode, 'INTERNAL'>]?: K extends Name ? K : Name;
} & { INTERNAL: 'INTERNAL' extends Name ? 'INTERNAL' : Name };

export interface EnvelopeInput<Name extends string = string> {
  name: Name;
  entry: ErrorEntry;
  error: SandboxError;
  c: Context;
  /** Sandbox time (epoch ms) of the answer. */
  now?: number;
}

/** What a vendor writes: its entries, its row failures, how core failures map, and its body. */
export interface CatalogueDefinition<Name extends string, Row extends string> {
  /** Request-level errors by name (the name a fault arms). */
  errors: Readonly<Record<Name, ErrorEntry>>;
  /** How a single bulk row can fail, by code. */
  rowErrors: Readonly<Record<Row, RowErrorEntry>>;
  fromCore: CoreErrorMapping<NoInfer<Name>>;
  /** The vendor's error body for one of its entries (core defaults never reach it). */
  envelope(input: EnvelopeInput<NoInfer<Name>>): unknown;
  /** The zod schema of that body, for the OpenAPI document. */
  envelopeSchema: z.ZodType;
  /**
   * The vendor's answer to a query or path parameter that does not match what its route declares,
   * in its own words (e.g. `error('VALIDATION_FAILED', { message })`). Without it, the core's
   * INVALID_INPUT answers, through `fromCore`, with a message naming the parameter.
   */
  inputError?(failure: InputFailure, error: (name: NoInfer<Name>, options?: SandboxErrorOptions) => SandboxError): SandboxError;
}

/** What the core found wrong with a request's query or path parameters. */
export interface InputFailure {
  where: 'query' | 'params';
  issues: readonly z.core.$ZodIssue[];
  /** The values as sent: a query parameter sent once is a string, repeated an array. */
  input: Record<string, unknown>;
}

/** `<where> parameter <name>: <zod message>` for the first issue: the core's wording of an INVALID_INPUT. */
export function describeInputFailure(failure: InputFailure): string {
  const issue = failure.issues[0];
  const name = issue?.path.length ? String(issue.path[0]) : issue && 'keys' in issue ? (issue.keys as string[]).join(', ') : '';
  return `${failure.where === 'query' ? 'query' : 'path'} parameter ${name}: ${issue?.message ?? 'invalid'}`;
}

/** A vendor's error catalogue as the core reads it; `Name` and `Row` are the vendor's own names. */
export interface ErrorCatalogue<Name extends string = string, Row extends string = string> {
  errors: Readonly<Record<Name, ErrorEntry>>;
  rowErrors: Readonly<Record<Row, RowErrorEntry>>;
  /**
   * The name each core failure is answered with: the vendor's entry, or the core code itself
   * where the vendor maps none (rendered from CORE_ERROR_DEFAULTS). Complete, so readers need no default.
   */
  fromCore: Readonly<Record<CoreErrorCode, Name | CoreErrorCode>>;
  // Methods, not function properties: a vendor's catalogue must stay assignable to the core's
  // wide `ErrorCatalogue` (method parameters are compared both ways).
  envelope(input: EnvelopeInput<Name>): unknown;
  envelopeSchema: z.ZodType;
  /** The names of the entries marked `generic`: every route documents them, so a fault may answer them anywhere. */
  generic: readonly Name[];
  /** The error to throw for one of this catalogue's names. */
  error(name: Name, options?: SandboxErrorOptions): SandboxError;
  /** The error a request whose query or path parameters fail the route's schemas answers with. */
  inputError(failure: InputFailure): SandboxError;
  /** A request's armed row faults (`c.get('rowFaults')`) as this catalogue's row codes; arming refuses any other. */
  rowFaults(faults: ReadonlyMap<number, string> | undefined): ReadonlyMap<number, Row> | undefined;
}

/**
 * Builds a vendor's catalogue, keeping its literal names: `error()` and routes' `errors` take only
 * those, and `fromCore` only maps to them. Unmapped core codes resolve to themselves.
 */
export function defineCatalogue<Name extends string, Row extends string = never>(def: CatalogueDefinition<Name, Row>): ErrorCatalogue<Name, Row> {
  const fromCore = Object.fromEntries(CORE_ERROR_CODES.map((code) => [code, (def.fromCore as Partial<Record<CoreErrorCode, Name>>)[code] ?? code]));
  const isRow = (code: string): code is Row => Object.hasOwn(def.rowErrors, code);
  const error = (name: Name, options?: SandboxErrorOptions) => new SandboxError(name as string as ErrorName, options);
  return {
    errors: def.errors,
    rowErrors: def.rowErrors,
    generic: (Object.keys(def.errors) as Name[]).filter((name) => def.errors[name].generic === true),
    fromCore: fromCore as Record<CoreErrorCode, Name | CoreErrorCode>,
    envelope: (input) => def.envelope(input),
    envelopeSchema: def.envelopeSchema,
    error,
    inputError: (failure) => (def.inputError ? def.inputError(failure, error) : new SandboxError('INVALID_INPUT', { message: describeInputFailure(failure) })),
    rowFaults: (faults) => faults && new Map([...faults].filter((fault): fault is [number, Row] => isRow(fault[1]))),
  };
}

/**
 * Every error a route documents, and so every error a fault named by `action.error` may answer on
 * it: the route's own `errors`, then the catalogue's generic ones, then the vendor's answer to a
 * malformed sandbox header (X-Sandbox-Namespace), which the core checks on every route.
 */
export function documentedErrors<Name extends string>(routeErrors: readonly Name[], catalogue: Pick<ErrorCatalogue<Name>, 'generic' | 'fromCore' | 'errors'>): Name[] {
  const header = catalogue.fromCore.INVALID_HEADER;
  return [...new Set([...routeErrors, ...catalogue.generic, ...(Object.hasOwn(catalogue.errors, header) ? [header as Name] : [])])];
}
