// The contacts a write may look up, read ahead by key: stored ones, and a request's own writes over them.
import type { PropelContact, PropelContactInput } from './schemas.js';
import type { Identity, PropelContacts } from './store.js';
import type { TenantScope } from '../../core/vendor.js';

/** Where a contact write finds the contacts it refers to. */
export interface ContactLookup {
  byId(id: number): PropelContact | undefined;
  /** The contact holding the (sourceId, source, language) identity: the lowest id when several do. */
  byIdentity(identity: Identity): PropelContact | undefined;
  /** A parent named by sourceId and source: any language, the lowest id first (*decision*). */
  bySource(sourceId: number, source: string): PropelContact | undefined;
}

type Pair = readonly [sourceId: number, source: string];
const pairKey = (sourceId: number, source: string): string => `${source}\u0000${sourceId}`;
const lowest = (contacts: Iterable<PropelContact>): PropelContact | undefined => {
  let low: PropelContact | undefined;
  for (const c of contacts) if (!low || c.id < low.id) low = c;
  return low;
};

/** The keys some contact writes may look up: contacts by id, and by (sourceId, source) pair. */
export class ContactKeys {
  private readonly ids = new Set<number>();
  private readonly pairs = new Map<string, Pair>();
  private byId: ReadonlyMap<number, PropelContact> | undefined;

  id(id: number): void {
    if (this.byId) throw new Error('propel: ids added after they were read');
    this.ids.add(id);
  }

  private pair(sourceId: number, source: string): void {
    this.pairs.set(pairKey(sourceId, source), [sourceId, source]);
  }

  /** The parent `input` names: by id (which wins when both are sent), else by sourceId and source. */
  parentOf(input: PropelContactInput): void {
    const parent = input.parent;
    if (parent?.id !== undefined) this.id(parent.id);
    else if (parent) this.pair(parent.sourceId!, parent.source!);
  }

  /**
   * Every (sourceId, source) one contact may hold after `inputs` (the rows that write it, in any
   * mix of success and failure) over `stored`: the identity check looks the result up.
   */
  identitiesOf(inputs: readonly PropelContactInput[], stored: PropelContact | undefined): void {
    const sourceIds = new Set<number>();
    const sources = new Set<string>();
    if (stored?.sourceId != null) sourceIds.add(stored.sourceId);
    if (stored?.source != null) sources.add(stored.source);
    for (const input of inputs) {
      if (input.sourceId !== undefined) sourceIds.add(input.sourceId);
      if (input.source !== undefined) sources.add(input.source);
    }
    for (const sourceId of sourceIds) for (const source of sources) this.pair(sourceId, source);
  }

  /** The stored contacts among the ids, in one query (once): the pairs wanted may depend on them. */
  async readIds(contacts: PropelContacts, scope: TenantScope): Promise<ReadonlyMap<number, PropelContact>> {
    return (this.byId ??= await contacts.getMany(scope, [...this.ids]));
  }

  /** Every stored contact the keys name, in two queries: by id, and by pair. */
  async read(contacts: PropelContacts, scope: TenantScope): Promise<StoredContacts> {
    const byId = await this.readIds(contacts, scope);
    return new StoredContacts(this.ids, byId, new Set(this.pairs.keys()), await contacts.bySource(scope, [...this.pairs.values()]));
  }
}

/**
 * The contacts stored before a write, as far as it read them. Asking for a key that was not read
 * is a bug in the keys gathered (an answer of "none" would be wrong), so it throws.
 */
export class StoredContacts implements ContactLookup {
  private readonly byPair = new Map<string, PropelContact[]>();

  constructor(
    private readonly idsRead: ReadonlySet<number>,
    private readonly contacts: ReadonlyMap<number, PropelContact>,
    private readonly pairsRead: ReadonlySet<string>,
    bySource: readonly PropelContact[],
  ) {
    for (const contact of bySource) {
      const key = pairKey(contact.sourceId!, contact.source!);
      const holders = this.byPair.get(key);
      if (holders) holders.push(contact);
      else this.byPair.set(key, [contact]);
    }
  }

  byId(id: number): PropelContact | undefined {
    if (!this.idsRead.has(id)) throw new Error(`propel: contact ${id} was not read ahead`);
    return this.contacts.get(id);
  }

  /** Every stored contact holding (sourceId, source), whatever its language. */
  holders(sourceId: number, source: string): readonly PropelContact[] {
    const key = pairKey(sourceId, source);
    if (!this.pairsRead.has(key)) throw new Error(`propel: source [${source}] sourceId [${sourceId}] was not read ahead`);
    return this.byPair.get(key) ?? [];
  }

  byIdentity(identity: Identity): PropelContact | undefined {
    return lowest(this.holders(identity.sourceId, identity.source).filter((c) => c.language === identity.language));
  }

  bySource(sourceId: number, source: string): PropelContact | undefined {
    return lowest(this.holders(sourceId, source));
  }
}

/** A contact a request writes, and the stored one it replaces (none for a new contact). */
export interface ContactWrite {
  contact: PropelContact;
  stored: PropelContact | undefined;
}

/**
 * The contacts as a request's rows see them: those stored, with every earlier row's write over
 * them (a row may name as parent a contact an earlier row created, and a repeated id updates
 * what the earlier row wrote). Writes stay in memory: `writes` hands them to the store.
 */
export class PendingContacts implements ContactLookup {
  private readonly pending = new Map<number, ContactWrite>();
  private readonly pendingByPair = new Map<string, Map<number, PropelContact>>();

  constructor(private readonly stored: StoredContacts) {}

  byId(id: number): PropelContact | undefined {
    return this.pending.get(id)?.contact ?? this.stored.byId(id);
  }

  /** The holders of (sourceId, source) now: the stored ones no row has rewritten, and the rows' own. */
  private holders(sourceId: number, source: string): PropelContact[] {
    const stored = this.stored.holders(sourceId, source).filter((c) => !this.pending.has(c.id));
    return [...stored, ...(this.pendingByPair.get(pairKey(sourceId, source))?.values() ?? [])];
  }

  byIdentity(identity: Identity): PropelContact | undefined {
    return lowest(this.holders(identity.sourceId, identity.source).filter((c) => c.language === identity.language));
  }

  bySource(sourceId: number, source: string): PropelContact | undefined {
    return lowest(this.holders(sourceId, source));
  }

  /** Records `contact` as written; `existing` is what the row found (the stored contact on its first write). */
  write(contact: PropelContact, existing: PropelContact | undefined): void {
    const earlier = this.pending.get(contact.id);
    if (earlier?.contact.sourceId != null && earlier.contact.source != null) {
      this.pendingByPair.get(pairKey(earlier.contact.sourceId, earlier.contact.source))?.delete(contact.id);
    }
    this.pending.set(contact.id, { contact, stored: earlier ? earlier.stored : existing });
    if (contact.sourceId !== null && contact.source !== null) {
      const key = pairKey(contact.sourceId, contact.source);
      let holders = this.pendingByPair.get(key);
      if (!holders) this.pendingByPair.set(key, (holders = new Map()));
      holders.set(contact.id, contact);
    }
  }

  /** Every contact written, once, in its last state, in the order first written. */
  writes(): ContactWrite[] {
    return [...this.pending.values()];
  }
}
