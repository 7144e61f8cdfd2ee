import type { Principal } from '../../core/principal.js';
import type { Logger } from '../../telemetry/logger.js';
import { createDownstreamServer } from '../create-downstream-server.js';
import type { GatewayCore } from '../gateway-core.js';
import { resolveServedView } from '../views.js';
import { StreamableSessionTransport } from './streamable-session-transport.js';

/** A 2025 Streamable HTTP session (initialize, Mcp-Session-Id, GET stream, DELETE). */
export interface LegacySession {
  /** The view the session was opened on ('' for /mcp). */
  viewName: string;
  /** Who opened it (undefined: the local user); only they may use it. */
  principal: Principal | undefined;
  transport: StreamableSessionTransport;
  close(): Promise<void>;
  lastSeen: number;
}

/** The open 2025 Streamable HTTP sessions, by the id their clients send back. */
export class LegacySessions {
  private readonly sessions = new Map<string, LegacySession>();

  constructor(
    private readonly core: GatewayCore,
    private readonly logger: Logger,
    /** Leads every session id (fleet mode): the load balancer routes by it. */
    private readonly instanceId?: string
  ) {}

  /** The session of an id, if it is open on this view. */
  get(sessionId: string, viewName: string): LegacySession | undefined {
    const session = this.sessions.get(sessionId);
    return session?.viewName === viewName ? session : undefined;
  }

  entries(): IterableIterator<[string, LegacySession]> {
    return this.sessions.entries();
  }

  values(): IterableIterator<LegacySession> {
    return this.sessions.values();
  }

  /** A new session on a view, for an initialize; it is registered once the transport gives it an id. */
  async open(viewName: string, principal: Principal | undefined): Promise<LegacySession> {
    const { core, logger, sessions } = this;
    const { server, session } = createDownstreamServer(core, { session: true, view: resolveServedView(core, viewName === '' ? undefined : viewName), principal });
    const entry: LegacySession = {
      viewName,
      principal,
      transport: new StreamableSessionTransport({
        instanceId: this.instanceId,
        onsessioninitialized: sessionId => {
          sessions.set(sessionId, entry);
          if (session) {
            // The registry keys a session by the id its client sends back.
            session.id = sessionId;
            core.sessions.add(session);
          }
          logger.debug(`session ${sessionId} opened`);
        }
      }),
      close: async () => {
        await server.close().catch(() => {});
      },
      lastSeen: Date.now()
    };
    entry.transport.onclose = () => {
      const id = entry.transport.sessionId;
      if (id) {
        sessions.delete(id);
        core.sessions.remove(id);
        logger.debug(`session ${id} closed`);
      }
    };
    await server.connect(entry.transport);
    return entry;
  }
}
