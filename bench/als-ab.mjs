// Throwaway A/B: Copper bulk_create through app.fetch against a built tree (base or head).
const dir = process.argv[2];
const { createApp } = await import(`${dir}/app.js`);
const isBase = dir.includes('base');
const store = isBase ? new (await import(`${dir}/core/store.js`)).Store(':memory:') : new (await import(`${dir}/core/sqlite-store.js`)).SqliteStore(':memory:');
const built = await createApp({ store, rateLimits: 'off' });
const app = built.app;
const headers = { 'content-type': 'application/json', 'x-pw-accesstoken': 'copper_demo_token', 'x-pw-application': 'developer_api', 'x-pw-useremail': 'demo@example.com' };
let n = 0;
const body = () => JSON.stringify({ people: Array.from({ length: 10 }, () => ({ name: `P ${n}`, emails: [{ email: `p${n++}@example.com`, category: 'work' }] })) });
async function run(count) {
  for (let i = 0; i < count; i++) {
    const res = await app.fetch(new Request('http://127.0.0.1/copper/developer_api/v1/people/bulk_create', { method: 'POST', headers, body: body() }));
    if (res.status !== 200) throw new Error(String(res.status) + (await res.text()));
    await res.text();
  }
}
await run(2000);
const t = performance.now();
const cpu = process.cpuUsage();
await run(8000);
const u = process.cpuUsage(cpu);
console.log(dir, 'wall ms/req', ((performance.now() - t) / 8000).toFixed(4), 'cpu ms/req', ((u.user + u.system) / 1000 / 8000).toFixed(4));
