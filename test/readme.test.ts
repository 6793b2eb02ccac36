// The top README: the two commands CI and users run, at most 15 KiB, a table of contents that lists every section, and a link to every page under docs/.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { anchors, headings, proseLines, relativeLinks } from './markdown.js';

const root = join(import.meta.dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

it('README quick start is the two commands CI and users run', () => {
  // Shown, not run by the docs tests (test/doc-blocks.test.ts): one starts a server that keeps running, the other is the suite.
  expect(readme).toContain('```sh not-run: starts the sandbox, which runs until stopped\nnpm ci && npm start\n```');
  expect(readme).toContain('```sh not-run: it is the suite itself\nnpm ci && npm test\n```');
  const ci = readFileSync(join(root, '.ci/run'), 'utf8');
  expect(ci).toMatch(/^npm ci$/m);
  expect(ci).toMatch(/^npm test$/m);
});

it('README is at most 15 KiB: the rest lives in docs/ and the vendor pages', () => {
  expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(15 * 1024);
});

it("README's Contents lists every section, in order, each linked to its heading's anchor", () => {
  const all = headings(readme);
  const ids = anchors(readme);
  const sections = all.flatMap((h, i) => (h.level === 2 && h.text !== 'Contents' ? [{ text: h.text, anchor: ids[i]! }] : []));
  expect(sections.length).toBeGreaterThan(5);
  // The list right under `## Contents`, up to the next heading.
  const lines = proseLines(readme);
  const start = lines.indexOf('## Contents');
  expect(start, 'README has a ## Contents section').toBeGreaterThan(0);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('#'));
  const entries = lines
    .slice(start + 1, end)
    .filter((line) => line.startsWith('- '))
    .map((line) => /^- \[(.+)\]\(#([^)]+)\)$/.exec(line))
    .map((m) => ({ text: m?.[1], anchor: m?.[2] }));
  expect(entries).toEqual(sections);
  // Contents comes before every section it lists.
  expect(all.findIndex((h) => h.text === 'Contents')).toBeLessThan(all.findIndex((h) => h.text === sections[0]!.text));
});

it('README links every page under docs/', () => {
  const pages = readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f.split('\\').join('/')}`);
  expect(pages.length).toBeGreaterThan(5);
  const linked = new Set(relativeLinks(readme).map((href) => href.split('#')[0]));
  expect(pages.filter((page) => !linked.has(page)), 'pages under docs/ the README does not link').toEqual([]);
});
