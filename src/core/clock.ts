// The one clock: every time the sandbox uses comes from here, so tests and the control API can set it.
export interface Clock {
  /** Milliseconds since the Unix epoch, as the sandbox sees it. */
  now(): number;
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
    return this.frozenAt ?? this.source() + this.offsetMs;
  }

  set(at: number | string | Date): void {
    const ms = toEpochMs(at);
    if (this.frozenAt !== null) this.frozenAt = ms;
    else this.offsetMs = ms - this.source();
  }

  advance(ms: number): void {
    if (this.frozenAt !== null) this.frozenAt += ms;
    else this.offsetMs += ms;
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
}

export function toEpochMs(at: number | string | Date): number {
  const ms = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid instant: ${String(at)}`);
  return ms;
}

export const isoAt = (clock: Clock): string => new Date(clock.now()).toISOString();
