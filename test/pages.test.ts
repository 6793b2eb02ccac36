// The documentation pages (README.md, docs/**/*.md, the vendor pages): every relative link leads to a file and heading that exist, and the
// pages that show code show the code the suite runs: docs/testing.md the in-process example, docs/operations.md the flags table --help prints.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagsMarkdown } from '../src/config.js';
import { VENDORS } from '../src/vendors/registry.js';
import { brokenLink, relativeLinks } from './markdown.js';

const root = join(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

const PAGES = [
  'README.md',
  ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f.split('\\').join('/')}`),
  ...VENDORS.map((v) => `src/vendors/${v.name}/README.md`),
];

describe('links', () => {
  it('covers the README, every page under docs/ and every vendor page', () => {
    expect(PAGES).toEqual(expect.arrayContaining(['README.md', 'docs/control-api.md', 'docs/operations.md', 'src/vendors/cora/README.md']));
  });

  for (const page of PAGES) {
    it(`${page} links only to files and headings that exist`, () => {
      const links = relativeLinks(read(page));
      const broken = links.map((href) => brokenLink(join(root, page), href)).filter((problem) => problem !== undefined);
      expect(broken).toEqual([]);
    });
  }

  it('a link to a missing file or heading is reported', () => {
    const readme = join(root, 'README.md');
    expect(brokenLink(readme, 'docs/no-such-page.md')).toBe('docs/no-such-page.md: no such file');
    expect(brokenLink(readme, 'docs/control-api.md#no-such-heading')).toBe('docs/control-api.md#no-such-heading: no such heading');
    expect(brokenLink(readme, '#no-such-heading')).toBe('#no-such-heading: no such heading');
    expect(brokenLink(readme, 'docs/control-api.md#faults')).toBeUndefined();
  });
});

it('docs/testing.md embeds examples/in-process.test.ts exactly', () => {
  expect(read('docs/testing.md')).toContain(`\`\`\`ts\n${read('examples/in-process.test.ts')}\`\`\``);
});

it("docs/operations.md's flags table is the one src/config.ts makes from the table --help prints", () => {
  const lines = read('docs/operations.md').split('\n');
  const start = lines.indexOf('| flag | env | default | meaning |');
  expect(start).toBeGreaterThan(0);
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  // On a difference, paste flagsMarkdown() (npx tsx -e "import('./src/config.ts').then((m) => console.log(m.flagsMarkdown()))").
  expect(lines.slice(start, end).join('\n')).toBe(flagsMarkdown());
});
