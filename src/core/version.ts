import { readFileSync } from 'node:fs';

/** Manifold's own version, from package.json (src/ and dist/ both sit one level below it). */
export const manifoldVersion: string = (() => {
  try {
    const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
    return (JSON.parse(text) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
