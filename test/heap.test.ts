import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../src/core/heap.js';

describe('heap growth of the sandbox process', () => {
  it('is set unless the user gave their own', () => {
    expect(heapGrowthFlag([], undefined)).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag(['--max-old-space-size=2048'], '--enable-source-maps')).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag(['--heap-growing-percent=80'], undefined)).toBeUndefined();
    expect(heapGrowthFlag([], '--enable-source-maps --heap_growing_percent=10')).toBeUndefined();
  });

  // Node documents flags set after start-up as unpredictable: this proves V8 still honours this
  // one at run time (on a Node upgrade that ignored it, RSS would quietly grow back).
  it('set at run time, keeps the heap of a churning process smaller', () => {
    const script = `
      const v8 = require('node:v8');
      if (process.argv[1] === 'on') v8.setFlagsFromString('--heap-growing-percent=${HEAP_GROWING_PERCENT}');
      const live = [];
      let peak = 0;
      for (let round = 0; round < 400; round++) {
        live[round % 100] = Array.from({ length: 2000 }, (_, i) => ({ i, s: 'x'.repeat(20) + i, a: [round, i] }));
        peak = Math.max(peak, process.memoryUsage().heapTotal);
      }
      console.log(peak);`;
    const peak = (mode: string) => Number(execFileSync(process.execPath, ['-e', script, mode], { encoding: 'utf8' }));
    const off = peak('off');
    const on = peak('on');
    expect(on).toBeLessThan(off * 0.8);
  });
});
