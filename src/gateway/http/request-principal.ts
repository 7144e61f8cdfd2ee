import type { IncomingMessage } from 'node:http';

import { localPrincipal, type Principal } from '../../core/principal.js';

const principals = new WeakMap<IncomingMessage, Principal>();

/** Records who sent an HTTP request, once its credentials are checked (the auth stage calls this). */
export function setRequestPrincipal(req: IncomingMessage, principal: Principal): void {
  principals.set(req, principal);
}

/** Who sent an HTTP request: the principal its credentials established, else the local user (no `auth:`). */
export function requestPrincipal(req: IncomingMessage): Principal {
  return principals.get(req) ?? localPrincipal;
}
