import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Authenticator } from './authenticate.js';

/**
 * A face the HTTP server serves under a path prefix besides MCP (the web console, `src/console`): it gets every
 * request at or below `prefix` once the request guard (Host, Origin) has passed it, with the HTTP face's
 * authenticator to recognise API keys and tokens, and decides who may in by itself.
 */
export interface HttpMount {
  /** e.g. `/console` */
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, authenticator: Authenticator): Promise<void>;
  /** Ends its open streams; called when the HTTP server closes. */
  close(): Promise<void>;
}
