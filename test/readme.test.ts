// The README shows the in-process example verbatim, so the example users copy is one the suite runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

it('README embeds examples/in-process.test.ts exactly', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const example = readFileSync(join(root, 'examples/in-process.test.ts'), 'utf8');
  expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
});

it('README quick start is the two commands CI and users run', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  expect(readme).toContain('```sh\nnpm ci && npm start\n```');
  expect(readme).toContain('```sh\nnpm ci && npm test\n```');
  const ci = readFileSync(join(root, '.ci/run'), 'utf8');
  expect(ci).toMatch(/^npm ci$/m);
  expect(ci).toMatch(/^npm test$/m);
});
