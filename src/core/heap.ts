// How far V8 lets the heap grow between full collections, for the long-running sandbox process.
import { setFlagsFromString } from 'node:v8';

/**
 * Heap growth between full collections, in percent of the live size. V8 picks up to 300% when
 * its heap limit is 2 GB or more (the default on machines with 8 GB and up), and under load most
 * of the sandbox's heap is garbage: a snapshot held 29 MiB live while the heap had grown past
 * 90 MiB. At 50%, peak RSS under the bench's file load fell from ~230 to ~175 MiB with no CPU
 * cost outside the noise (docs/performance.md, What limits it).
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * The V8 flag to set, or undefined when the process was started with its own heap growth
 * (`--heap-growing-percent` on the command line or in NODE_OPTIONS): the user's choice wins.
 */
export function heapGrowthFlag(execArgv: readonly string[], nodeOptions: string | undefined): string | undefined {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  if (given.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return undefined;
  return `--heap-growing-percent=${HEAP_GROWING_PERCENT}`;
}

/**
 * Sets the heap growth once the server is up. It is set at run time, not as a node flag in the
 * start command, because any heap flag given at start-up makes Node 20 reject the code cache of
 * its own modules (start-up 220 → 265 ms, measured). V8 reads this flag at every full collection.
 */
export function limitHeapGrowth(): void {
  const flag = heapGrowthFlag(process.execArgv, process.env.NODE_OPTIONS);
  if (flag !== undefined) setFlagsFromString(flag);
}
