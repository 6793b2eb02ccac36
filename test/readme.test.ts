// The README shows the in-process example verbatim, so the example users copy is one the suite runs,
// and the flags table --help prints.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { flagsMarkdown } from '../src/config.js';

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

it("README's flags table is the one src/config.ts makes from the table --help prints", () => {
  const lines = readFileSync(join(root, 'README.md'), 'utf8').split('\n');
  const start = lines.indexOf('| flag | env | default | meaning |');
  expect(start).toBeGreaterThan(0);
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  // On a difference, paste flagsMarkdown() (npx tsx -e "import('./src/config.ts').then((m) => console.log(m.flagsMarkdown()))").
  expect(lines.slice(start, end).join('\n')).toBe(flagsMarkdown());
});
