// The node flags `npm start` runs the sandbox with, read from package.json: the bench starts the
// sandbox (and the baseline, for a like-for-like comparison) with the same ones.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The flags between `node` and `dist/main.js` in package.json's `start` script. */
export function startNodeFlags(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const match = /^node((?:\s+--\S+)*)\s+dist\/main\.js$/.exec(pkg.scripts.start ?? '');
  if (!match) throw new Error(`package.json's start script is not "node [--flags] dist/main.js": ${pkg.scripts.start}`);
  return match[1]!.split(/\s+/).filter(Boolean);
}
