// Whether a fault can ever fire on a vendor: catalogue names it uses, the routes its method and path reach, and what those routes document.
import { documentedErrors } from './errors.js';
import type { Fault } from './faults.js';
import { routesByPath } from './router.js';
import type { RouteDef, VendorModule } from './vendor.js';

type Route = Pick<RouteDef, 'method' | 'path' | 'batchField' | 'errors'>;

const isWildcard = (segment: string) => segment.startsWith(':') || segment === '*';
/** Never a literal path segment (a request path cannot carry NUL): stands for "any value" in a probe path. */
const ANY_VALUE = '\u0000';
const label = (r: Route) => `${r.method.toUpperCase()} ${r.path}`;

/**
 * The route paths a fault path reaches: a path group is reached when some request path matches
 * both the fault's path and the group's pattern and the router sends it to that group. One probe
 * path per group decides it: literal segments from either side, ANY_VALUE where both are wildcards.
 */
function reachedGroups(groups: Array<[string, Route[]]>, faultPath: string): Array<[string, Route[]]> {
  const fault = faultPath.split('/');
  return groups.filter(([pattern]) => {
    const route = pattern.split('/');
    if (route.length !== fault.length) return false;
    const probe: string[] = [];
    for (const [i, f] of fault.entries()) {
      const r = route[i]!;
      if (!isWildcard(f) && !isWildcard(r) && f !== r) return false;
      probe.push(!isWildcard(f) ? f : !isWildcard(r) ? r : ANY_VALUE);
    }
    const served = groups.find(([other]) => {
      const segments = other.split('/');
      return segments.length === probe.length && segments.every((s, i) => isWildcard(s) || s === probe[i]);
    });
    return served?.[0] === pattern;
  });
}

/**
 * Why `fault` could never fire (or fire as asked) on `vendor`, or `undefined` when it can:
 * error and row-error names must be the catalogue's own entries, `path` and `method` must reach
 * at least one of `routes`, an `error` only on faults whose every reachable route documents it
 * (its `errors` and the catalogue's generic ones: a fault answers within the vendor's contract,
 * a raw `response` is the way out of it), and `rowErrors` only on faults that reach bulk routes alone.
 * `path` is a route pattern (`/accounts/:externalId`) or a concrete path (`/accounts/A1`).
 * Arming uses it; so can anything that restores faults from outside (a snapshot).
 */
export function faultTargetProblem(
  vendor: Pick<VendorModule, 'name' | 'errors'>,
  routes: readonly Route[],
  fault: Pick<Fault, 'method' | 'path' | 'action'>,
): string | undefined {
  const { action } = fault;
  // Own properties only: `in` would accept `toString` and every other Object.prototype name.
  if ('error' in action && !Object.hasOwn(vendor.errors.errors, action.error)) {
    return `${action.error} is not a ${vendor.name} error (known: ${Object.keys(vendor.errors.errors).join(', ')})`;
  }
  if ('rowErrors' in action) {
    const unknown = Object.values(action.rowErrors).find((code) => !Object.hasOwn(vendor.errors.rowErrors, code));
    if (unknown !== undefined) return `${unknown} is not a ${vendor.name} row error (known: ${Object.keys(vendor.errors.rowErrors).join(', ') || 'none'})`;
  }

  const known = `known routes: ${routes.map(label).join(', ')}`;
  // Faults see the path without its query, so a path with one would never match.
  if (fault.path !== null && /[?#]/.test(fault.path)) return `path ${fault.path} matches no ${vendor.name} route: give the path without query or fragment (${known})`;
  const groups = fault.path === null ? routesByPath(routes) : reachedGroups(routesByPath(routes), fault.path);
  if (groups.length === 0) return `path ${fault.path} matches no ${vendor.name} route (${known})`;
  const reached = groups.flatMap(([, group]) => group);
  const candidates = fault.method === null ? reached : reached.filter((r) => r.method.toUpperCase() === fault.method);
  if (candidates.length === 0) {
    const where = fault.path === null ? `${vendor.name} has` : `path ${fault.path} has`;
    return `${where} no ${fault.method} route (${fault.path === null ? known : `it has: ${reached.map(label).join(', ')}`})`;
  }
  if ('error' in action) {
    const documented = (r: Route) => documentedErrors(r.errors, vendor.errors);
    const silent = candidates.filter((r) => !documented(r).includes(action.error));
    if (silent.length > 0) {
      const { status } = vendor.errors.errors[action.error]!;
      const named = (names: readonly string[]) => names.map((n) => `${n} (${vendor.errors.errors[n]?.status})`).join(', ');
      const where = silent.map((r) => `${label(r)} documents ${named(documented(r))}`).join('; ');
      const others = routes.filter((r) => documented(r).includes(action.error)).map(label);
      const elsewhere = others.length > 0 ? `Routes that document it: ${others.join(', ')}` : `No ${vendor.name} route documents it`;
      return (
        `${action.error} (${status}) is not documented on ${silent.map(label).join(', ')}, so a fault may not answer it there: ${where}. ` +
        `${elsewhere}; to send it here anyway, arm a raw "response" fault, which is outside ${vendor.name}'s documented contract`
      );
    }
  }
  if ('rowErrors' in action) {
    const notBulk = candidates.filter((r) => r.batchField === undefined);
    if (notBulk.length > 0) {
      const bulk = routes.filter((r) => r.batchField !== undefined).map(label);
      return `rowErrors fire only on bulk routes, and this fault also matches ${notBulk.map(label).join(', ')}; give the method and path of one of: ${bulk.join(', ') || `(${vendor.name} has none)`}`;
    }
  }
  return undefined;
}
