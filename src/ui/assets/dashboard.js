// The QA dashboard's logic: plain DOM code over the control API (no framework, no build step).
const config = JSON.parse(document.getElementById('dashboard-config').textContent);
const API = '/_sandbox';
const $ = (selector) => document.querySelector(selector);

/** Builds an element; children are nodes or text (never parsed as HTML: records hold client data). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
  return el;
}

let toastTimer;
function toast(message, isError = false) {
  const el = $('#toast');
  el.textContent = message;
  el.className = isError ? 'error' : '';
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), isError ? 8000 : 3000);
}

/** One control API call; a non-2xx answer throws with the API's own message and issues. */
async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(`${API}${path}`, init);
  const text = await res.text();
  let parsed = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {}
  if (!res.ok) {
    const error = parsed?.error;
    throw new Error(error ? `${error.code}: ${error.message}${error.issues ? ` (${error.issues.join('; ')})` : ''}` : `${res.status} ${text}`);
  }
  return parsed;
}

/** Runs an action from a button or form and reports its failure instead of dropping it. */
const guarded = (fn) => async (event) => {
  event?.preventDefault?.();
  try {
    await fn(event);
  } catch (error) {
    toast(error.message, true);
  }
};

const query = (params) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? `?${new URLSearchParams(entries)}` : '';
};
const vendor = () => $('#vendor').value;
const vendorInfo = () => config.vendors.find((v) => v.name === vendor());
const namespace = () => $('#namespace').value.trim();
const pretty = (value) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));
const statusClass = (status) => (status === null ? 'sdropped' : `s${String(status)[0]}xx`);

// ---- per-vendor data the forms need: the error catalogue (from coverage) and the documented routes

const catalogues = new Map();
async function loadCatalogues() {
  const { vendors } = await api('GET', '/coverage');
  for (const v of vendors) catalogues.set(v.vendor, v);
  return vendors;
}

const operations = new Map();
/** The vendor's documented operations, from its own OpenAPI document; paths in fault form (`:name`). */
async function vendorOperations(name) {
  if (!operations.has(name)) {
    const info = config.vendors.find((v) => v.name === name);
    const res = await fetch(`${info.prefix}/openapi.json`);
    const doc = await res.json();
    const ops = [];
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      for (const [method, op] of Object.entries(item)) {
        ops.push({ method: method.toUpperCase(), path: path.replace(/\{([^}]+)\}/g, ':$1'), summary: op.summary ?? '' });
      }
    }
    operations.set(name, ops);
  }
  return operations.get(name);
}

// ---- records

let recordsCursor = null;
let recordsLoaded = [];
function recordKey(record) {
  // Propel's sourceId is a number.
  for (const k of ['externalId', 'sourceId', 'email', 'name']) if (typeof record?.[k] === 'string' || typeof record?.[k] === 'number') return String(record[k]);
  const emails = record?.emails;
  return Array.isArray(emails) && emails[0]?.email ? emails[0].email : '';
}
function renderRecords() {
  const search = $('#records-search').value.trim().toLowerCase();
  const shown = recordsLoaded.filter((r) => search === '' || JSON.stringify(r).toLowerCase().includes(search));
  $('#records-count').textContent = `${shown.length} of ${recordsLoaded.length} loaded${recordsCursor ? ' (more stored)' : ''}`;
  $('#records-table tbody').replaceChildren(
    ...shown.map((r, i) =>
      h(
        'tr',
        {},
        h('td', {}, i + 1),
        h('td', { class: 'code' }, r?.id ?? ''),
        h('td', { class: 'code' }, recordKey(r)),
        h('td', {}, r?.updatedAt ?? r?.updated_at ?? r?.date_modified ?? r?.updated ?? ''),
        h('td', {}, h('details', {}, h('summary', {}, 'JSON'), h('pre', {}, pretty(r)))),
      ),
    ),
  );
  $('#records-more').hidden = !recordsCursor;
}
async function loadRecords(more = false) {
  const page = await api(
    'GET',
    `/${encodeURIComponent(vendor())}/records${query({ tenant: $('#records-tenant').value.trim(), namespace: namespace(), limit: 1000, cursor: more ? recordsCursor : undefined })}`,
  );
  recordsLoaded = more ? [...recordsLoaded, ...page.records] : page.records;
  recordsCursor = page.nextCursor;
  renderRecords();
  await loadTenants();
}
/** The vendor's tenants, offered by the records and fault forms' tenant fields. */
async function loadTenants() {
  const { credentials } = await api('GET', `/credentials${query({ vendor: vendor() })}`);
  $('#tenants').replaceChildren(...[...new Set(credentials.map((c) => c.tenant))].map((t) => h('option', { value: t })));
}

// ---- journal

const openEntries = new Set();
let journalSignature = '';
function journalEntry(e) {
  const summary = h(
    'summary',
    {},
    h('span', { class: 'muted' }, e.time.replace('T', ' ').replace('Z', '')),
    h('span', { class: 'badge' }, e.vendor),
    h('strong', { class: 'code' }, e.method),
    h('span', { class: 'code path' }, e.path),
    h('span', { class: 'badge status' }, e.status ?? 'dropped'),
    e.error ? h('span', { class: 'badge code' }, e.error) : null,
    e.rowErrors.length ? h('span', { class: 'badge row-error' }, `${e.rowErrors.length} failed row${e.rowErrors.length > 1 ? 's' : ''}: ${e.rowErrors.join(', ')}`) : null,
    e.fault ? h('span', { class: 'badge fault-fired' }, `fault ${e.fault}`) : null,
    e.tenant ? h('span', { class: 'muted' }, `tenant ${e.tenant}`) : null,
    e.namespace ? h('span', { class: 'muted' }, `ns ${e.namespace}`) : null,
    h('span', { class: 'muted' }, `${e.durationMs} ms`),
  );
  const details = h(
    'details',
    { open: openEntries.has(e.id), ontoggle: (ev) => (ev.target.open ? openEntries.add(e.id) : openEntries.delete(e.id)) },
    summary,
    h(
      'div',
      { class: 'io' },
      h('div', { class: 'request' }, h('h4', {}, 'Request'), h('pre', {}, pretty(e.requestHeaders)), h('pre', { class: 'request-body' }, pretty(e.requestBody))),
      h('div', { class: 'response' }, h('h4', {}, 'Response'), h('pre', {}, pretty(e.responseHeaders)), h('pre', { class: 'response-body' }, pretty(e.responseBody))),
    ),
  );
  return h('li', { class: `entry ${statusClass(e.status)}`, 'data-id': e.id }, details);
}
async function loadJournal() {
  const { requests } = await api(
    'GET',
    `/requests${query({
      vendor: $('#journal-vendor').value,
      method: $('#journal-method').value,
      path: $('#journal-path').value.trim(),
      status: $('#journal-status').value.trim(),
      tenant: $('#journal-tenant').value.trim(),
      namespace: namespace() || undefined,
      limit: 200,
    })}`,
  );
  // Re-render only when something changed, so open entries and the scroll position stay put.
  const signature = requests.map((r) => r.id).join(',');
  if (signature === journalSignature) return;
  journalSignature = signature;
  $('#journal-list').replaceChildren(...(requests.length ? requests.map(journalEntry) : [h('li', { class: 'muted' }, 'No requests yet.')]));
}

// ---- faults

function faultKind() {
  return document.querySelector('input[name="fault-kind"]:checked').value;
}
/** Shows the chosen action's fields; `preferred` is the request to pick if offered (see renderFaultOperations). */
function showFaultKind(preferred) {
  for (const el of document.querySelectorAll('.fault-kind')) {
    el.hidden = el.dataset.kind !== faultKind();
    // Disabled, a hidden panel's fields cannot block the form with a check the user cannot see.
    for (const field of el.querySelectorAll('input, select, textarea, button')) field.disabled = el.hidden;
  }
  renderFaultOperations(preferred);
}
const operationKey = (op) => `${op.method} ${op.path}`;
/**
 * The request choices. Row errors fire only on bulk routes (the server refuses them anywhere
 * else), so for them the list is the vendor's bulk routes alone, without "any request".
 * `preferred` is picked when offered; otherwise the current choice stays if it still is.
 */
function renderFaultOperations(preferred) {
  const select = $('#fault-operation');
  const wanted = preferred ?? select.value;
  const ops = operations.get(vendor()) ?? [];
  const bulkRoutes = vendorInfo()?.bulkRoutes ?? [];
  const rowErrors = faultKind() === 'rowErrors';
  const shown = rowErrors
    ? bulkRoutes.map((key) => ops.find((op) => operationKey(op) === key) ?? { method: key.split(' ')[0], path: key.split(' ')[1], summary: '' })
    : ops;
  select.replaceChildren(
    ...(rowErrors ? [] : [h('option', { value: '' }, 'any request')]),
    ...shown.map((op) => h('option', { value: operationKey(op) }, `${op.method} ${op.path}${op.summary ? ` (${op.summary})` : ''}`)),
  );
  const offered = [...select.options].map((o) => o.value);
  select.value = offered.includes(wanted) ? wanted : offered.find((v) => bulkRoutes.includes(v)) ?? offered[0] ?? '';
  const codes = catalogues.get(vendor())?.rowErrors.length ?? 0;
  const impossible = rowErrors && (bulkRoutes.length === 0 || codes === 0);
  const note = $('#fault-operation-note');
  note.hidden = !rowErrors;
  note.textContent = impossible ? `${vendorInfo()?.title ?? vendor()} has no bulk route with row errors` : 'Row errors fire only on bulk routes';
  $('#fault-arm').disabled = impossible;
  renderFaultErrors();
}
/**
 * The error choices: those the chosen request documents (for "any request", those every route
 * documents), the only ones the server arms by name; the current choice stays if still offered.
 */
function renderFaultErrors() {
  const select = $('#fault-error');
  const wanted = select.value;
  const byRoute = vendorInfo()?.faultErrors ?? {};
  const chosen = $('#fault-operation').value;
  const lists = chosen ? [byRoute[chosen] ?? []] : Object.values(byRoute);
  const allowed = (catalogues.get(vendor())?.errors ?? []).filter((e) => lists.every((list) => list.includes(e.code)));
  select.replaceChildren(...allowed.map((e) => h('option', { value: e.code }, `${e.code} (${e.status})`)));
  if (allowed.some((e) => e.code === wanted)) select.value = wanted;
}
function rowErrorLine(index = 0) {
  const codes = Object.keys(catalogues.get(vendor())?.rowErrors.reduce((acc, r) => ({ ...acc, [r.code]: 1 }), {}) ?? {});
  return h(
    'div',
    { class: 'bar fault-row' },
    h('label', {}, 'Row index ', h('input', { type: 'number', min: 0, value: index, class: 'fault-row-index', size: 4 })),
    h('label', {}, 'fails with ', h('select', { class: 'fault-row-code' }, ...codes.map((c) => h('option', { value: c }, c)))),
    h('button', { type: 'button', onclick: (ev) => ev.target.closest('.fault-row').remove() }, 'remove'),
  );
}
async function prepareFaultForm() {
  document.querySelectorAll('.vendor-name').forEach((el) => (el.textContent = vendorInfo()?.title ?? vendor()));
  if (!catalogues.has(vendor())) await loadCatalogues();
  const catalogue = catalogues.get(vendor());
  await vendorOperations(vendor());
  $('#fault-rows').replaceChildren(...(catalogue.rowErrors.length ? [rowErrorLine(0)] : [h('p', { class: 'muted' }, 'This vendor has no row errors.')]));
  // The vendor's first bulk route: the request a fault is most often armed on.
  showFaultKind(vendorInfo()?.bulkRoutes[0] ?? '');
  await loadTenants();
}
function faultBody() {
  const [method, path] = $('#fault-operation').value.split(' ');
  const fault = { vendor: vendor(), times: Number($('#fault-times').value || 1), after: Number($('#fault-after').value || 0) };
  if (method) Object.assign(fault, { method, path });
  // Targeting only when it narrows something: the server's defaults are any tenant, probability 1, seed 0.
  const tenant = $('#fault-tenant').value.trim();
  if (tenant) fault.tenant = tenant;
  const probability = $('#fault-probability').value.trim();
  if (probability !== '' && Number(probability) !== 1) fault.probability = Number(probability);
  const seed = $('#fault-seed').value.trim();
  if (seed !== '' && Number(seed) !== 0) fault.seed = Number(seed);
  switch (faultKind()) {
    case 'error':
      return { ...fault, error: $('#fault-error').value };
    case 'rowErrors': {
      const rowErrors = {};
      for (const line of document.querySelectorAll('.fault-row')) rowErrors[line.querySelector('.fault-row-index').value] = line.querySelector('.fault-row-code').value;
      return { ...fault, rowErrors };
    }
    case 'response': {
      const text = $('#fault-body').value;
      let body = text;
      try {
        body = text.trim() === '' ? undefined : JSON.parse(text);
      } catch {}
      return { ...fault, response: { status: Number($('#fault-status').value), ...(body === undefined ? {} : { body }) } };
    }
    case 'delayMs':
      return { ...fault, delayMs: Number($('#fault-delay').value) };
    default:
      return { ...fault, drop: $('#fault-drop').value };
  }
}
/** What narrows an armed fault beyond method and path, one line each. */
function targeting(f) {
  const lines = [];
  if (f.tenant) lines.push(`tenant ${f.tenant}`);
  if (f.probability !== undefined && f.probability !== 1) lines.push(`probability ${f.probability}, seed ${f.seed}`);
  if (f.requestHeaders) lines.push(`headers ${JSON.stringify(f.requestHeaders)}`);
  if (f.requestBody) lines.push(`body ${JSON.stringify(f.requestBody)}`);
  return lines;
}
async function loadFaults() {
  const { faults } = await api('GET', `/faults${query({ namespace: namespace() })}`);
  $('#faults-table tbody').replaceChildren(
    ...(faults.length
      ? faults.map((f) =>
          h(
            'tr',
            { 'data-id': f.id },
            h('td', { class: 'code' }, f.id),
            h('td', {}, f.vendor),
            h('td', {}, f.namespace || '(default)'),
            h('td', { class: 'code' }, `${f.method ?? 'any'} ${f.path ?? '(any path)'}`, ...targeting(f).map((t) => h('div', { class: 'muted targeting' }, t))),
            h('td', { class: 'code' }, JSON.stringify(f.action)),
            h('td', {}, f.after),
            h('td', {}, f.remaining),
            h('td', {}, h('button', { type: 'button', onclick: guarded(() => disarm(f.id)) }, 'Disarm')),
          ),
        )
      : [h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'Nothing armed.'))]),
  );
}
async function disarm(id) {
  const { disarmed } = await api('DELETE', `/faults${query(id ? { id } : { namespace: namespace() })}`);
  toast(`Disarmed ${disarmed}`);
  await loadFaults();
}

// ---- clock

async function loadClock() {
  const clock = await api('GET', '/clock');
  $('#clock-badge').textContent = `${clock.now}${clock.frozen ? ' (frozen)' : ''}`;
  $('#clock-now').textContent = clock.now;
  $('#clock-state').textContent = clock.frozen ? 'frozen' : 'running';
  return clock;
}
async function setClock(update) {
  await api('POST', '/clock', update);
  await loadClock();
}

// ---- state

async function loadState() {
  const limits = await api('GET', '/rate-limits');
  $('#rate-mode').value = limits.mode;
  $('#rate-buckets').textContent = `${limits.buckets.length} live bucket${limits.buckets.length === 1 ? '' : 's'}`;
}
async function downloadSnapshot() {
  const snapshot = await api('GET', '/snapshot');
  const blob = new Blob([JSON.stringify(snapshot, null, 2)], { type: 'application/json' });
  const link = h('a', { href: URL.createObjectURL(blob), download: `bulk-sandbox-snapshot-${new Date().toISOString().replace(/[:.]/g, '-')}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// ---- coverage

async function loadCoverage() {
  const vendors = await loadCatalogues();
  $('#coverage').replaceChildren(
    ...vendors.map((v) =>
      h(
        'div',
        { class: 'card', 'data-vendor': v.vendor },
        h('h2', {}, `${v.vendor}: ${v.produced} of ${v.total} codes produced`),
        h(
          'table',
          {},
          h('thead', {}, h('tr', {}, h('th', {}, 'code'), h('th', {}, 'kind'), h('th', {}, 'status'), h('th', {}, 'count'))),
          h(
            'tbody',
            {},
            ...v.errors.map((e) => h('tr', { class: e.count ? 'hit' : 'zero' }, h('td', { class: 'code' }, e.code), h('td', {}, 'request'), h('td', {}, e.status), h('td', { class: 'count' }, e.count))),
            ...v.rowErrors.map((e) => h('tr', { class: e.count ? 'hit' : 'zero' }, h('td', { class: 'code' }, e.code), h('td', {}, 'row'), h('td', {}, ''), h('td', { class: 'count' }, e.count))),
          ),
        ),
      ),
    ),
  );
}

// ---- navigation and wiring

const loaders = { records: () => loadRecords(), journal: loadJournal, faults: async () => (await prepareFaultForm(), await loadFaults()), clock: loadClock, state: loadState, coverage: loadCoverage };
/** Views worth polling while "live" is on; the others keep what the user is typing or reading. */
const polled = { journal: loadJournal, faults: loadFaults, clock: loadClock, coverage: loadCoverage };
let current = 'journal';

async function show(view) {
  current = view;
  location.hash = view;
  for (const button of document.querySelectorAll('#tabs button')) button.classList.toggle('active', button.dataset.view === view);
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${view}`;
  journalSignature = '';
  await loaders[view]();
}

function wire() {
  $('#vendor').replaceChildren(...config.vendors.map((v) => h('option', { value: v.name }, v.title ? `${v.name} (${v.title})` : v.name)));
  $('#journal-vendor').append(...config.vendors.map((v) => h('option', { value: v.name }, v.name)));
  for (const button of document.querySelectorAll('#tabs button')) button.addEventListener('click', guarded(() => show(button.dataset.view)));
  $('#vendor').addEventListener('change', guarded(() => show(current)));
  $('#namespace').addEventListener('change', guarded(() => show(current)));

  $('#records-form').addEventListener('submit', guarded(() => loadRecords()));
  $('#records-search').addEventListener('input', renderRecords);
  $('#records-more').addEventListener('click', guarded(() => loadRecords(true)));

  $('#journal-form').addEventListener('submit', guarded(() => ((journalSignature = ''), loadJournal())));
  for (const id of ['#journal-vendor', '#journal-method']) $(id).addEventListener('change', guarded(() => ((journalSignature = ''), loadJournal())));
  $('#journal-clear').addEventListener(
    'click',
    guarded(async () => {
      const { cleared } = await api('DELETE', `/requests${query({ namespace: namespace() || undefined })}`);
      toast(`Cleared ${cleared} entries`);
      journalSignature = '';
      await loadJournal();
    }),
  );

  for (const radio of document.querySelectorAll('input[name="fault-kind"]')) radio.addEventListener('change', () => showFaultKind());
  $('#fault-operation').addEventListener('change', () => renderFaultErrors());
  $('#fault-add-row').addEventListener('click', () => $('#fault-rows').append(rowErrorLine(document.querySelectorAll('.fault-row').length)));
  $('#fault-form').addEventListener(
    'submit',
    guarded(async () => {
      const fault = await api('POST', `/faults${query({ namespace: namespace() })}`, faultBody());
      toast(`Armed ${fault.id}`);
      await loadFaults();
    }),
  );
  $('#faults-disarm-all').addEventListener('click', guarded(() => disarm()));

  $('#clock-set-form').addEventListener(
    'submit',
    guarded(() => {
      const raw = $('#clock-set').value.trim();
      return setClock({ set: /^\d+$/.test(raw) ? Number(raw) : raw });
    }),
  );
  $('#clock-advance-form').addEventListener('submit', guarded(() => setClock({ advanceMs: Number($('#clock-advance').value) })));
  for (const button of document.querySelectorAll('[data-advance]')) button.addEventListener('click', guarded(() => setClock({ advanceMs: Number(button.dataset.advance) })));
  $('#clock-freeze').addEventListener('click', guarded(() => setClock({ freeze: true })));
  $('#clock-unfreeze').addEventListener('click', guarded(() => setClock({ freeze: false })));

  $('#reset-form').addEventListener(
    'submit',
    guarded(async () => {
      const body = {};
      if ($('#reset-scope').value === 'vendor') body.vendor = vendor();
      if ($('#reset-tenant').value.trim()) body.tenant = $('#reset-tenant').value.trim();
      if ($('#reset-namespace').checked) body.namespace = namespace();
      if (!confirm(`Reset ${JSON.stringify(body)}?`)) return;
      const { deleted } = await api('POST', '/reset', body);
      toast(`Reset: ${deleted} records deleted`);
    }),
  );
  $('#snapshot-download').addEventListener('click', guarded(downloadSnapshot));
  $('#snapshot-restore').addEventListener(
    'click',
    guarded(async () => {
      const file = $('#snapshot-file').files[0];
      if (!file) throw new Error('Choose a snapshot file first');
      const result = await api('POST', '/snapshot', await file.text());
      toast(`Restored ${result.rows} rows in ${result.tables} tables`);
      await loadClock();
    }),
  );
  $('#rate-mode').addEventListener(
    'change',
    guarded(async () => {
      await api('PUT', '/rate-limits', { mode: $('#rate-mode').value });
      toast(`Rate limits: ${$('#rate-mode').value}`);
    }),
  );
}

async function poll() {
  if ($('#live').checked && !document.hidden) {
    try {
      await (polled[current] ?? loadClock)();
      if (current !== 'clock') await loadClock();
    } catch (error) {
      toast(error.message, true);
    }
  }
  setTimeout(poll, 1500);
}

wire();
const initial = location.hash.slice(1);
await guarded(() => show(initial in loaders ? initial : 'journal'))();
await guarded(loadClock)();
setTimeout(poll, 1500);
