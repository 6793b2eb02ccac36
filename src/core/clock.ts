// The one clock: every time the sandbox uses comes from here, so tests and the control API can set it.
export interface Clock {
  /** Milliseconds since the Unix epoch, as the sandbox sees it. */
  now(): number;
}

/**
 * The instants the sandbox clock may show: years 0001 to 9999, so every time it hands out prints
 * as a plain ISO date (`toISOString` throws past ±8.64e15 ms, and vendors print 4-digit years).
 */
export const CLOCK_MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const CLOCK_MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

export interface ClockUpdate {
  set?: number | string | Date;
  advanceMs?: number;
  freeze?: boolean;
}

export interface ClockState {
  now: string;
  frozen: boolean;
}

/**
 * System time shifted by an offset, or frozen at one instant. `set`, `advance` and `freeze`
 * are what the control API exposes; tests build one frozen at a fixed instant.
 */
export class SandboxClock implements Clock {
  private offsetMs = 0;
  private frozenAt: number | null = null;

  constructor(private readonly source: () => number = Date.now) {}

  /** A clock that stands still at `at` until someone moves it: the test default. */
  static frozen(at: number | string | Date): SandboxClock {
    const clock = new SandboxClock();
    // Freeze first: set() on a running clock would read system time twice and drift.
    clock.freeze(true);
    clock.set(at);
    return clock;
  }

  now(): number {
    if (this.frozenAt !== null) return this.frozenAt;
    // A running clock set near the end of the range keeps running: it stops at the last instant.
    return Math.min(CLOCK_MAX_MS, this.source() + this.offsetMs);
  }

  set(at: number | string | Date): void {
    const ms = toEpochMs(at);
    if (this.frozenAt !== null) this.frozenAt = ms;
    else this.offsetMs = ms - this.source();
  }

  advance(ms: number): void {
    const target = this.now() + ms;
    if (!Number.isFinite(ms) || target < CLOCK_MIN_MS || target > CLOCK_MAX_MS) {
      throw new RangeError(`${ms} ms leaves the clock's range (years 0001 to 9999)`);
    }
    if (this.frozenAt !== null) this.frozenAt = target;
    else this.offsetMs += ms;
  }

  /**
   * `set`, then `advanceMs`, then `freeze`, all or nothing: a value out of range throws a
   * RangeError and leaves the clock as it was. An update that freezes stops the clock first, so it
   * stands exactly where `set` and `advanceMs` put it: set on a running clock and frozen after, it
   * would stand a millisecond later whenever system time ticked in between.
   */
  update(update: ClockUpdate): void {
    const before = { offsetMs: this.offsetMs, frozenAt: this.frozenAt };
    let field = 'set';
    try {
      if (update.freeze === true) this.freeze(true);
      if (update.set !== undefined) this.set(update.set);
      field = 'advanceMs';
      if (update.advanceMs !== undefined) this.advance(update.advanceMs);
      if (update.freeze !== undefined) this.freeze(update.freeze);
    } catch (error) {
      this.offsetMs = before.offsetMs;
      this.frozenAt = before.frozenAt;
      throw new RangeError(`${field}: ${(error as Error).message}`);
    }
  }

  /** Back on the system clock: no offset, not frozen. */
  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = null;
  }

  freeze(frozen: boolean): void {
    if (frozen && this.frozenAt === null) this.frozenAt = this.now();
    if (!frozen && this.frozenAt !== null) {
      this.offsetMs = this.frozenAt - this.source();
      this.frozenAt = null;
    }
  }

  get isFrozen(): boolean {
    return this.frozenAt !== null;
  }

  state(): ClockState {
    return { now: new Date(this.now()).toISOString(), frozen: this.isFrozen };
  }

  /** What the clock is made of (an offset from system time, or a frozen instant), as processes sharing a database exchange it. */
  settings(): ClockSettings {
    return { offsetMs: this.offsetMs, frozenAt: this.frozenAt };
  }

  /** Takes another process's settings (core/shared-state.ts). */
  adopt(settings: ClockSettings): void {
    this.offsetMs = settings.offsetMs;
    this.frozenAt = settings.frozenAt;
  }
}

export interface ClockSettings {
  offsetMs: number;
  frozenAt: number | null;
}

/** Epoch ms of an ISO string, a Date or epoch ms; a RangeError when it is no instant or outside the clock's range. */
export function toEpochMs(at: number | string | Date): number {
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid instant: ${String(at).slice(0, 64)}`);
  if (ms < CLOCK_MIN_MS || ms > CLOCK_MAX_MS) throw new RangeError(`${String(at).slice(0, 64)} is outside the clock's range (years 0001 to 9999)`);
  return ms;
}

export const isoAt = (clock: Clock): string => new Date(clock.now()).toISOString();
