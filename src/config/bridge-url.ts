// Where a bridge started from this config answers: the URL doctor and probe use when none is
// given. A wildcard bind address is reached over loopback of the same family.
import { hostForUrl } from '../util/host-for-url.js';

export function bridgeUrlFor(server: { host: string; port: number }): string {
  let host = server.host;
  if (host === '0.0.0.0' || host === '' || host === '*') host = '127.0.0.1';
  if (host === '::' || host === '[::]') host = '::1';
  return `http://${hostForUrl(host)}:${server.port}`;
}
