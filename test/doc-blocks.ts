// The pages' code blocks as the docs tests see them: which run, how, and the output each one promises.
//
// The convention (docs/contributing.md says it for authors):
// - A fenced `sh` or `bash` block runs with `bash -euo pipefail` against a fresh sandbox. It takes the
//   sandbox's address from `S`, which the block itself defines as `S=${S:-http://127.0.0.1:4700}`,
//   so a reader pasting it talks to `npm start` and the test to its own sandbox.
// - A fenced `ts` block that defines `const S = process.env.S ?? 'http://127.0.0.1:4700'` runs too,
//   with tsx (`bulk-sandbox` imports resolve to src/).
// - A fenced `text` block right after (blank lines between allowed) is the block's output, compared
//   line by line: a line `...` stands for any number of lines, and `...` inside a line for any
//   characters on that line. A block without one must print nothing.
// - A block that must not run says so in its fence, with the reason: ```sh not-run: needs a Docker engine.
//   A `ts` block without `process.env.S` is a fragment, shown and not run.
// - Every other fence (`text` not after a runnable block, `ts` fragments, no language) is prose.

export interface CodeBlock {
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language word (`sh`, `bash`, `ts`, `text`, or ''). */
  lang: string;
  /** The rest of the fence's info string (`not-run: ...`). */
  info: string;
  code: string;
  /** The `text` block after it, when there is one. */
  expected?: string;
}

export type BlockKind = 'shell' | 'ts' | 'not-run' | 'prose';

const SHELL = new Set(['sh', 'bash', 'shell']);
const TS = new Set(['ts', 'typescript']);
export const NOT_RUN = /^not-run: \S/;
/** How a runnable TypeScript block finds the sandbox. */
export const TS_ADDRESS = "process.env.S ?? 'http://127.0.0.1:4700'";
/** How a runnable shell block finds the sandbox. */
export const SHELL_ADDRESS = 'S=${S:-http://127.0.0.1:4700}';

/** Every fenced block of a Markdown page, each runnable one with the `text` block that follows it. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const end = lines.findIndex((l, j) => j > i && l.startsWith(fence) && l.trim() === fence);
    if (end < 0) throw new Error(`line ${i + 1}: a code fence that is never closed`);
    const block: CodeBlock = { line: i + 1, lang: open[2]!, info: open[3]!.trim(), code: lines.slice(i + 1, end).join('\n') };
    const previous = blocks.at(-1);
    const between = previous ? lines.slice(previous.line + previous.code.split('\n').length + 1, i) : [];
    if (block.lang === 'text' && previous && previous.expected === undefined && kindOf(previous) !== 'prose' && between.every((l) => l.trim() === '')) {
      previous.expected = block.code;
    } else {
      blocks.push(block);
    }
    i = end;
  }
  return blocks;
}

export function kindOf(block: CodeBlock): BlockKind {
  if (SHELL.has(block.lang)) return block.info === '' ? 'shell' : 'not-run';
  if (TS.has(block.lang)) return block.info !== '' ? 'not-run' : block.code.includes(TS_ADDRESS) ? 'ts' : 'prose';
  return 'prose';
}

/** Why a block breaks the convention, or undefined. */
export function conventionProblem(block: CodeBlock): string | undefined {
  const kind = kindOf(block);
  if ((SHELL.has(block.lang) || TS.has(block.lang)) && block.info !== '' && !NOT_RUN.test(block.info)) {
    return `fence info "${block.info}": the only one allowed is "not-run: <why>"`;
  }
  if (kind === 'shell' && /127\.0\.0\.1:4700|localhost:4700/.test(block.code) && !block.code.includes(SHELL_ADDRESS)) {
    return `a block that talks to the sandbox defines ${SHELL_ADDRESS} and uses $S`;
  }
  if (kind === 'shell' && block.code.split('\n').filter((l) => l.includes('127.0.0.1:4700')).length > 1) {
    return `the address appears once, in ${SHELL_ADDRESS}`;
  }
  if (kind === 'not-run' && block.expected !== undefined) return 'a block that does not run shows no checked output';
  return undefined;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const tidy = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/^\n+|\n+$/g, '');

/** Whether `actual` is what `expected` promises: `...` alone on a line is any lines, `...` in a line any characters. */
export function outputMatches(expected: string, actual: string): boolean {
  const want = tidy(expected);
  const got = tidy(actual);
  if (want === '') return got === '';
  const pattern = want
    .split('\n')
    .map((line) => (line === '...' ? '(?:[^\\n]*(?:\\n|$))*?' : `${line.split('...').map(escapeRegExp).join('[^\\n]*?')}(?:\\n|$)`))
    .join('');
  return new RegExp(`^${pattern}$`).test(got);
}
