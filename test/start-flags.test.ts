import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startNodeFlags } from '../bench/start-flags.js';

const ROOT = join(import.meta.dirname, '..');

describe('node flags of a started sandbox', () => {
  it('are the same for npm start, the Docker image and the bench', () => {
    const flags = startNodeFlags(ROOT);
    // A heap cap below 2 GB is what makes V8 grow the heap by ~1.6x, not 4x, of its live size.
    expect(flags).toContain('--max-old-space-size=1024');
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    expect(cmd).not.toBeNull();
    expect(JSON.parse(cmd![1]!)).toEqual(['node', ...flags, 'dist/main.js']);
  });
});
