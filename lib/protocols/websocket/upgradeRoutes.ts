// worker.websocket on an http:// worker: which request paths may upgrade to a
// WebSocket on the same port. An upgrade request on any other path is served as
// an ordinary HTTP request (onMessage answers it, 404 or otherwise).
import { describeValue } from '../../optionChecks';
import { native } from '../../native';

/** true: every path; { path: '/ws' | ['/ws', '/live'] | (path) => boolean }: those; false: none (the default). */
export type WebSocketUpgrades = boolean | WebSocketRoutes;
export interface WebSocketRoutes {
  /** The request path (without the query) that may upgrade: exact, one of a list, or a predicate. Omitted: every path. */
  path?: string | readonly string[] | ((path: string) => boolean);
}

export type UpgradeRoute = (path: string) => boolean;

const EVERY_PATH: UpgradeRoute = () => true;

/** The setting as a matcher (null: no upgrades); anything else throws naming the setting. */
export function upgradeRoute(value: unknown): UpgradeRoute | null {
  if (value === false || value === undefined || value === null) return null;
  if (value === true) return EVERY_PATH;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`websocket must be true, false or { path }, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (key !== 'path') throw new TypeError(`websocket: unknown key "${key}" (known: path)`);
  }
  const path = (value as WebSocketRoutes).path;
  if (path === undefined) return EVERY_PATH;
  if (typeof path === 'string') return checkPath(path) && ((p) => p === path);
  if (Array.isArray(path)) {
    const paths = new Set<string>(path.map((p: unknown) => (typeof p === 'string' && checkPath(p) ? p : badPath(p))));
    return (p) => paths.has(p);
  }
  if (typeof path === 'function') {
    const predicate = path as UpgradeRoute;
    return (p) => {
      try {
        return predicate(p) === true;
      } catch (error) {
        native.raiseUncaught(error); // as any callback's exception; the request is then served as HTTP
        return false;
      }
    };
  }
  return badPath(path);
}

function checkPath(path: string): true {
  if (!path.startsWith('/')) throw new TypeError(`websocket: a path starts with "/", got ${JSON.stringify(path)}`);
  return true;
}

function badPath(path: unknown): never {
  throw new TypeError(`websocket.path is a path such as '/ws', an array of them, or a function (path) => boolean; got ${describeValue(path)}`);
}
