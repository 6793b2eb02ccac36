// One error type for the whole sandbox; each vendor's catalogue decides how it looks on the wire.

/** Failures the core itself detects; every vendor maps each to one entry of its catalogue. */
export const CORE_ERROR_CODES = [
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'INVALID_BODY',
  /** A request header the sandbox itself reads (X-Sandbox-Namespace) is malformed. */
  'INVALID_HEADER',
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

/**
 * Thrown anywhere a request must stop. `code` is a core code or a name from the current
 * vendor's error catalogue; the vendor router renders it in that vendor's envelope.
 */
export class SandboxError extends Error {
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;
  readonly customMessage: string | undefined;

  constructor(
    readonly code: string,
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
}

/** One way a single row of a bulk request can fail, in the vendor's words. */
export interface RowErrorEntry {
  message: string;
  description?: string;
}
