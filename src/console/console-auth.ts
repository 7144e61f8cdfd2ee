import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';

import type { ConsoleOptions } from '../config/index.js';
import type { Authenticator } from '../gateway/index.js';

/** The cookie of a browser sign-in: HttpOnly, SameSite=Strict, only under /console. */
export const sessionCookie = 'manifold_console';

/** A signed-in browser: who, until when, and the token its state-changing requests must send back. */
export interface ConsoleSession {
  id: string;
  who: string;
  csrf: string;
  expiresAt: number;
}

/** Who a console request comes from: a browser session, or a request carrying the admin credential itself. */
export type Admin = { who: string; session: ConsoleSession } | { who: string; session?: undefined };

/** Where the console's generated admin key is kept, beside the store: `<store.path>.console-key`. */
export function consoleKeyPath(storePath: string): string {
  return `${storePath}.console-key`;
}

/** Whether the store is a file a key can be kept beside (not `:memory:`, not a postgres:// URL). */
export function keepsKeyFile(storePath: string): boolean {
  return storePath !== ':memory:' && !storePath.includes('://');
}

/**
 * The admin key: `console.adminKey`, else the one kept beside the store file (made on first use, mode 0600).
 * With no file to keep it in (`store.path: ":memory:"`, a PostgreSQL store), a key for this process only:
 * `serve` prints its sign-in link, and it is gone with the process (a fleet sets console.adminKey).
 */
export function loadAdminKey(options: ConsoleOptions, storePath: string): string {
  if (options.adminKey !== undefined) return options.adminKey;
  if (!keepsKeyFile(storePath)) return randomBytes(32).toString('base64url');
  const path = consoleKeyPath(storePath);
  if (!existsSync(path)) {
    // The store's folder may not exist yet (nothing was recorded): the key is the first thing kept there.
    mkdirSync(dirname(path), { recursive: true });
    try {
      writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readFileSync(path, 'utf8').trim();
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The console's own credential (docs/CONSOLE.md "Sign in"): the admin key, or an API key / bearer token of the
 * HTTP face's `auth:` that has `console.adminScope`. A browser trades the key for a session cookie at
 * /console/login; scripts send it on each request (`Authorization: Bearer`). Sessions live in memory.
 */
export class ConsoleAuth {
  private readonly keyDigest: Buffer;
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(
    adminKey: string,
    private readonly options: ConsoleOptions,
    private readonly now: () => number = Date.now
  ) {
    this.keyDigest = digest(adminKey);
  }

  /** Whether a presented key is the admin key (compared in constant time). */
  isAdminKey(presented: string): boolean {
    return timingSafeEqual(digest(presented), this.keyDigest);
  }

  /** A new browser session for `who`. */
  signIn(who: string): ConsoleSession {
    this.sweep();
    const session = { id: randomBytes(32).toString('base64url'), who, csrf: randomBytes(24).toString('base64url'), expiresAt: this.now() + this.options.sessionTtl };
    this.sessions.set(session.id, session);
    return session;
  }

  signOut(id: string): void {
    this.sessions.delete(id);
  }

  /** The admin a request comes from, or undefined: its session cookie, else its own credential. */
  async identify(req: IncomingMessage, authenticator: Authenticator): Promise<Admin | undefined> {
    const cookie = readCookie(req.headers.cookie, sessionCookie);
    if (cookie !== undefined) {
      const session = this.sessions.get(cookie);
      if (session && session.expiresAt > this.now()) return { who: session.who, session };
      if (session) this.sessions.delete(cookie);
    }
    const presented = bearerOf(req);
    if (presented === undefined) return undefined;
    if (this.isAdminKey(presented)) return { who: 'admin' };
    // An API key or token of auth: with the admin scope.
    const principal = authenticator.enabled ? await authenticator.identify(req) : undefined;
    if (principal?.scopes?.includes(this.options.adminScope)) return { who: principal.name };
    return undefined;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}

/** The credential of `Authorization: Bearer` or `X-API-Key`, if any. */
function bearerOf(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const apiKey = req.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() || undefined : undefined;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals > 0 && part.slice(0, equals).trim() === name) return part.slice(equals + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie header of a session (or of its end, with `maxAgeSeconds` 0). */
export function sessionCookieHeader(id: string, maxAgeSeconds: number): string {
  return `${sessionCookie}=${id}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`;
}

/**
 * Whether a state-changing request may go on (CSRF): with a session cookie it must send the session's token in
 * `X-Manifold-CSRF` and a JSON body (a content type no plain form can send); a request with the credential itself
 * carries nothing ambient.
 */
export function passesCsrf(req: IncomingMessage, admin: Admin): boolean {
  if (!admin.session) return true;
  const token = req.headers['x-manifold-csrf'];
  if (typeof token !== 'string') return false;
  const contentType = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') return false;
  const given = Buffer.from(token);
  const expected = Buffer.from(admin.session.csrf);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A form post from a page of this origin (sign-in, sign-out): the browser's Origin (or Sec-Fetch-Site) says so. */
export function isSameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }
  return req.headers['sec-fetch-site'] === 'same-origin';
}
