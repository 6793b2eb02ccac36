// The request journal: every vendor request and response, secrets redacted, bounded, newest first.
import { describeBody, redactHeaders, redactTarget, redactValue, SecretSet, type ShownNames } from './redact.js';

export interface JournalEntry {
  id: number;
  time: string;
  vendor: string;
  namespace: string;
  tenant: string | null;
  method: string;
  /** The vendor path with the query as sent, credential-named query values redacted. */
  path: string;
  /** The operationId of the route that matched; null when none did (404, 405). */
  operationId: string | null;
  requestHeaders: Record<string, string>;
  requestBody: unknown;
  /** null when the connection was dropped by a fault. */
  status: number | null;
  responseHeaders: Record<string, string>;
  responseBody: unknown;
  durationMs: number;
  /** The catalogue name of the error answered, if any. */
  error: string | null;
  rowErrors: string[];
  /** Id of the fault that fired on this request, if any. */
  fault: string | null;
}

export interface JournalFilter {
  vendor?: string;
  namespace?: string;
  tenant?: string;
  method?: string;
  /** Matches when the journaled path contains it. */
  path?: string;
  status?: number;
  /** ISO time: entries at or after it. */
  since?: string;
  operationId?: string;
  limit?: number;
}

/**
 * What the journal may hold, in bytes, before it lets the oldest entries go (besides the entry
 * cap): a load test of 500-row batches would otherwise hold gigabytes. Bodies count at their
 * size; headers and the entry itself count too, so ten thousand small requests are not free.
 */
export const JOURNAL_BYTE_BUDGET = 16 * 1024 * 1024;
/** Roughly what an entry's object, strings and arrays cost besides its bodies and headers. */
const ENTRY_OVERHEAD = 256;

const textDecoder = new TextDecoder();

/**
 * A body kept as it came over the wire. Parsing and redacting it costs as much as the request
 * itself, so it is done when the journal is read, not on every request.
 */
export class RawBody {
  constructor(
    readonly raw: Uint8Array | string,
    readonly contentType: string | undefined,
  ) {}

  get size(): number {
    return typeof this.raw === 'string' ? this.raw.length : this.raw.byteLength;
  }

  /** The body parsed and redacted (see core/redact.ts describeBody). */
  describe(secrets: SecretSet = SecretSet.EMPTY, shown?: ShownNames): unknown {
    return describeBody(this.text(), this.contentType, secrets, shown);
  }

  text(): string {
    return typeof this.raw === 'string' ? this.raw : textDecoder.decode(this.raw);
  }
}

const headersSize = (headers: Record<string, string>): number => {
  let size = 0;
  for (const name in headers) size += name.length + headers[name]!.length;
  return size;
};

/** What one entry counts against the journal's byte budget. */
export const entrySize = (e: JournalEntry): number =>
  ENTRY_OVERHEAD +
  e.path.length +
  headersSize(e.requestHeaders) +
  headersSize(e.responseHeaders) +
  (e.requestBody instanceof RawBody ? e.requestBody.size : 0) +
  (e.responseBody instanceof RawBody ? e.responseBody.size : 0);

/**
 * How a journal redacts its entries: by the credential secrets known now, and by name, but for
 * the fields each vendor's answers show as they are (VendorModule.shownResponseFields).
 */
export interface JournalRedaction {
  secrets(): SecretSet;
  /** By vendor name: the response fields shown as they are. Never a request's: a client may send anything under any name. */
  shownResponseFields?: ReadonlyMap<string, ShownNames>;
}

/** No known secrets, no shown fields: what a journal of its own (a test's) redacts by. */
export const REDACT_BY_NAME_ONLY: JournalRedaction = { secrets: () => SecretSet.EMPTY };

/**
 * The entry as readers see it: bodies parsed, and everything a client sent or got redacted by
 * name and by the secrets known now. Entries restored from a snapshot hold plain values; they
 * go through the same redaction.
 */
export function described(e: JournalEntry, secrets: SecretSet, shownResponseFields?: JournalRedaction['shownResponseFields']): JournalEntry {
  const body = (b: unknown, shown?: ShownNames) => (b instanceof RawBody ? b.describe(secrets, shown) : redactValue(b, secrets, shown));
  return {
    ...e,
    namespace: secrets.redact(e.namespace),
    operationId: e.operationId ?? null,
    path: redactTarget(e.path, secrets),
    requestHeaders: redactHeaders(e.requestHeaders, secrets),
    requestBody: body(e.requestBody),
    responseHeaders: redactHeaders(e.responseHeaders, secrets),
    responseBody: body(e.responseBody, shownResponseFields?.get(e.vendor)),
  };
}

/** True when the entry passes every filter given; `since` already parsed. */
function matches(e: JournalEntry, filter: JournalFilter, since: number | undefined): boolean {
  if (filter.vendor !== undefined && e.vendor !== filter.vendor) return false;
  if (filter.namespace !== undefined && e.namespace !== filter.namespace) return false;
  if (filter.tenant !== undefined && e.tenant !== filter.tenant) return false;
  if (filter.method !== undefined && e.method !== filter.method.toUpperCase()) return false;
  if (filter.path !== undefined && !e.path.includes(filter.path)) return false;
  if (filter.status !== undefined && e.status !== filter.status) return false;
  if (filter.operationId !== undefined && (e.operationId ?? null) !== filter.operationId) return false;
  if (since !== undefined && Date.parse(e.time) < since) return false;
  return true;
}

/**
 * What the control plane asks of a journal: this process's (`Journal`, in memory) or, in shared
 * mode, the database's (core/shared-state.ts), whose answers are promises.
 */
export interface JournalApi {
  capacity: number;
  reserveId(): number | Promise<number>;
  add(entry: JournalEntry): unknown;
  list(filter?: JournalFilter): JournalEntry[] | Promise<JournalEntry[]>;
  count(filter?: JournalFilter): number | Promise<number>;
  clear(namespace?: string): number | Promise<number>;
  all(): JournalEntry[] | Promise<JournalEntry[]>;
  restore(entries: JournalEntry[]): void | Promise<void>;
}

export class Journal implements JournalApi {
  private entries: JournalEntry[] = [];
  private nextId = 1;
  /** What the entries held count against the budget (see entrySize). */
  private bytes = 0;

  constructor(
    public capacity = 10_000,
    public byteBudget = JOURNAL_BYTE_BUDGET,
    /** How entries are redacted when read. */
    private readonly redaction: JournalRedaction = REDACT_BY_NAME_ONLY,
  ) {}

  /**
   * Takes the next entry id. The observer takes it the moment the handler returns, before any
   * await, so ids follow the order in which requests were processed (and wrote).
   */
  reserveId(): number {
    return this.nextId++;
  }

  add(entry: JournalEntry): JournalEntry {
    const full = entry;
    // Entries are kept in id order even when their bodies finished reading out of order.
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.id > full.id) i--;
    this.entries.splice(i, 0, full);
    this.bytes += entrySize(full);
    // Oldest go first; trimming in chunks keeps the push O(1) amortised.
    if (this.entries.length > this.capacity + Math.max(1, this.capacity >> 4)) this.dropOldest(this.entries.length - this.capacity);
    if (this.bytes > this.byteBudget) {
      // Down to three quarters of the budget, so a full journal is not trimmed on every request.
      let drop = 0;
      let bytes = this.bytes;
      while (drop < this.entries.length - 1 && bytes > (this.byteBudget * 3) / 4) bytes -= entrySize(this.entries[drop++]!);
      this.dropOldest(drop);
    }
    return full;
  }

  private dropOldest(count: number): void {
    for (let i = 0; i < count; i++) this.bytes -= entrySize(this.entries[i]!);
    this.entries = this.entries.slice(count);
  }

  list(filter: JournalFilter = {}): JournalEntry[] {
    const since = filter.since === undefined ? undefined : Date.parse(filter.since);
    const limit = filter.limit ?? 100;
    const secrets = this.redaction.secrets();
    const out: JournalEntry[] = [];
    const start = Math.max(0, this.entries.length - this.capacity);
    for (let i = this.entries.length - 1; i >= start && out.length < limit; i--) {
      const e = this.entries[i]!;
      if (matches(e, filter, since)) out.push(described(e, secrets, this.redaction.shownResponseFields));
    }
    return out;
  }

  /** How many kept entries match `filter` (its `limit` is ignored); nothing is parsed. */
  count(filter: JournalFilter = {}): number {
    const since = filter.since === undefined ? undefined : Date.parse(filter.since);
    let n = 0;
    for (let i = Math.max(0, this.entries.length - this.capacity); i < this.entries.length; i++) if (matches(this.entries[i]!, filter, since)) n++;
    return n;
  }

  clear(namespace?: string): number {
    const before = this.entries.length;
    this.keep(namespace === undefined ? [] : this.entries.filter((e) => e.namespace !== namespace));
    return before - this.entries.length;
  }

  /** Replaces the entries held, and recounts what they hold against the budget. */
  private keep(entries: JournalEntry[]): void {
    this.entries = entries;
    this.bytes = entries.reduce((sum, e) => sum + entrySize(e), 0);
  }

  /** Everything kept, oldest first (for snapshots). */
  all(): JournalEntry[] {
    const secrets = this.redaction.secrets();
    return this.entries.slice(-this.capacity).map((e) => described(e, secrets, this.redaction.shownResponseFields));
  }

  restore(entries: JournalEntry[]): void {
    this.keep(entries.slice(-this.capacity));
    this.nextId = entries.reduce((max, e) => Math.max(max, e.id), 0) + 1;
  }
}
