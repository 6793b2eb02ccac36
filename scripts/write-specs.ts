// Regenerates specs/*.openapi.json from the route definitions (npm run specs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../src/app.js';
import { serializeDocument } from '../src/core/openapi.js';
import { Store } from '../src/core/store.js';

const dir = join(import.meta.dirname, '..', 'specs');
mkdirSync(dir, { recursive: true });
const store = new Store(':memory:');
const { documents } = createApp({ store });
for (const [name, doc] of Object.entries(documents)) {
  const file = join(dir, `${name}.openapi.json`);
  writeFileSync(file, serializeDocument(doc));
  console.log(`wrote ${file}`);
}
store.close();
