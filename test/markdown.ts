// Markdown as GitHub reads it, for the page tests: headings and their anchors, relative links, and whether a link resolves.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** GitHub's anchor for a heading (before a repeat's `-1`, `-2` suffix). */
export const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

/** The page's lines outside fenced code blocks: a `# comment` in a shell block is no heading, a `](x)` in code no link. */
export function proseLines(markdown: string): string[] {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) fence = marker;
    else if (fence !== undefined && marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
    else if (fence === undefined) lines.push(line);
  }
  return lines;
}

/** The page's headings in order: level (1 for `#`) and text. */
export function headings(markdown: string): Array<{ level: number; text: string }> {
  return proseLines(markdown)
    .map((line) => /^(#{1,6}) (.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ level: m[1]!.length, text: m[2]!.trim() }));
}

/** The anchors GitHub gives the page's headings, in order: a repeated slug gets `-1`, `-2`, ... */
export function anchors(markdown: string): string[] {
  const seen = new Map<string, number>();
  return headings(markdown).map(({ text }) => {
    const base = slug(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}-${count}`;
  });
}

/** Every link target on the page that is not a URL with a scheme (`https:`, `mailto:`): files and `#anchors`. */
export function relativeLinks(markdown: string): string[] {
  return [...proseLines(markdown).join('\n').matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z]+:/i.test(href));
}

/** Why `href`, written in the page at `file`, leads nowhere; `undefined` when the file (and the heading it names) exists. */
export function brokenLink(file: string, href: string): string | undefined {
  const [target, anchor] = href.split('#') as [string, string | undefined];
  const path = target === '' ? file : resolve(dirname(file), target);
  if (!existsSync(path)) return `${href}: no such file`;
  if (anchor !== undefined && path.endsWith('.md') && !anchors(readFileSync(path, 'utf8')).includes(anchor)) return `${href}: no such heading`;
  return undefined;
}
