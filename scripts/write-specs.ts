// Regenerates specs/*.openapi.json from the route definitions (npm run specs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../src/app.js';
import { serializeDocument } from '../src/core/openapi.js';
import { SqliteStore } from '../src/core/sqlite-store.js';

const dir = join(import.meta.dirname, '..', 'specs');
mkdirSync(dir, { recursive: true });
const store = new SqliteStore(':memory:');
const { documents } = await createApp({ store });
for (const [name, doc] of Object.entries(documents)) {
  const file = join(dir, `${name}.openapi.json`);
  writeFileSync(file, serializeDocument(doc));
  console.log(`wrote ${file}`);
}
await store.close();
