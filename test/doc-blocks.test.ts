// Docs as tests: every runnable block of every page runs against a fresh sandbox, alone, then all of
// a page's blocks in order, twice, on one sandbox; each prints what its page says it prints and
// leaves the sandbox as it found it (clock on real time, rate limits on, no fault armed).
// The convention is in test/doc-blocks.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../src/sandbox.js';
import { codeBlocks, conventionProblem, kindOf, outputMatches, type CodeBlock } from './doc-blocks.js';

const ROOT = join(import.meta.dirname, '..');
const run = promisify(execFile);

/** README.md, docs/**\/*.md and every vendor's page. */
function pages(): string[] {
  const found = ['README.md'];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) found.push(path);
    }
  };
  walk('docs');
  for (const vendor of readdirSync(join(ROOT, 'src/vendors'), { withFileTypes: true })) {
    if (vendor.isDirectory()) found.push(join('src/vendors', vendor.name, 'README.md'));
  }
  return found;
}

/** A tsconfig for TypeScript blocks: `bulk-sandbox` is this repository's src/, as in the vitest config. */
const scratch = mkdtempSync(join(tmpdir(), 'doc-blocks-'));
const tsconfig = join(scratch, 'tsconfig.json');
writeFileSync(
  tsconfig,
  JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', baseUrl: ROOT, paths: { 'bulk-sandbox': ['src/index.ts'] } } }),
);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs one block with the sandbox's address in S, in an empty folder of its own; stdout and stderr together. */
async function runBlock(block: CodeBlock, sandbox: Sandbox): Promise<{ output: string; failed?: string }> {
  const cwd = mkdtempSync(join(scratch, 'run-'));
  const env = { PATH: process.env.PATH!, HOME: cwd, TMPDIR: cwd, LANG: 'C.UTF-8', S: sandbox.url, TSX_TSCONFIG_PATH: tsconfig };
  const [command, args] =
    kindOf(block) === 'ts'
      ? [process.execPath, ['--import', join(ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(cwd, 'block.mts')]]
      : ['bash', ['-euo', 'pipefail', join(cwd, 'block.sh')]];
  writeFileSync(join(cwd, kindOf(block) === 'ts' ? 'block.mts' : 'block.sh'), `${block.code}\n`);
  try {
    const { stdout, stderr } = await run(command as string, args as string[], { cwd, env, timeout: 60_000, maxBuffer: 64 << 20 });
    return { output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number; signal?: string };
    return { output: `${e.stdout ?? ''}${e.stderr ?? ''}`, failed: `exited with ${e.code ?? e.signal}` };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Runs the block and holds it to its page: exit 0, the promised output, the sandbox left as found. */
async function check(page: string, block: CodeBlock, sandbox: Sandbox): Promise<void> {
  const where = `${page}:${block.line}`;
  const { output, failed } = await runBlock(block, sandbox);
  expect(failed, `${where} ${failed}; it printed:\n${output}`).toBeUndefined();
  if (!outputMatches(block.expected ?? '', output)) expect(output.trimEnd(), `${where} printed something else than its page shows`).toBe(block.expected ?? '');
  expect(sandbox.clock.settings(), `${where} leaves the clock on real time`).toEqual({ offsetMs: 0, frozenAt: null });
  expect(sandbox.app.deps.rateLimits.mode, `${where} leaves rate limits on`).toBe('vendor');
  expect(sandbox.app.plane.faults.list(), `${where} leaves no fault armed`).toEqual([]);
  // As a reader waits out a rate-limit window before running the next block.
  await sandbox.app.deps.rateLimits.reset();
}

const all = pages().map((page) => ({ page, blocks: codeBlocks(readFileSync(join(ROOT, page), 'utf8')) }));

describe('the convention', () => {
  it('every block of every page follows it', () => {
    const problems = all.flatMap(({ page, blocks }) => blocks.map((b) => [`${page}:${b.line}`, conventionProblem(b)]).filter(([, p]) => p));
    expect(problems).toEqual([]);
  });

  it('some blocks run, and every page that shows shell commands runs them or says why not', () => {
    const runnable = all.flatMap(({ blocks }) => blocks.filter((b) => ['shell', 'ts'].includes(kindOf(b))));
    expect(runnable.length).toBeGreaterThan(5);
  });

  it('matches output with ... for any lines, or any characters in a line', () => {
    expect(outputMatches('a\n...\nd', 'a\nb\nc\nd')).toBe(true);
    expect(outputMatches('a\n...\nd', 'a\nd')).toBe(true);
    expect(outputMatches('a\n...\nd', 'a\nb\nc')).toBe(false);
    expect(outputMatches('{"id":...,"ok":true}', '{"id":12,"ok":true}')).toBe(true);
    expect(outputMatches('{"id":...,"ok":true}', '{"id":12,"ok":false}')).toBe(false);
    expect(outputMatches('{"id":...}', '{"id":1}\n{"id":2}')).toBe(false);
    expect(outputMatches('', '')).toBe(true);
    expect(outputMatches('', 'x')).toBe(false);
    expect(outputMatches('a.b', 'axb')).toBe(false);
    expect(outputMatches('x  \n', 'x\n\n')).toBe(true);
  });
});

for (const { page, blocks } of all) {
  const runnable = blocks.filter((b) => ['shell', 'ts'].includes(kindOf(b)));
  if (runnable.length === 0) continue;
  describe(page, () => {
    for (const block of runnable) {
      it(`the block at line ${block.line} runs alone`, async () => {
        const sandbox = await createSandbox({ port: 0 });
        try {
          await check(page, block, sandbox);
        } finally {
          await sandbox.close();
        }
      }, 120_000);
    }

    describe('all blocks in order, twice', () => {
      let sandbox: Sandbox;
      beforeAll(async () => {
        sandbox = await createSandbox({ port: 0 });
      });
      afterAll(() => sandbox.close());
      for (const round of [1, 2]) {
        it(`round ${round}`, async () => {
          for (const block of runnable) await check(page, block, sandbox);
        }, 300_000);
      }
    });
  });
}
