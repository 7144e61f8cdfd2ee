import { errorMessage } from '../core/errors.js';

/**
 * The one JSON object in a model's text: the text itself, or what lies between its first `{` and last `}` (a
 * ```` ```json ```` fence or words around it are tolerated). `why` says what is wrong, for a repair request.
 */
export function extractJsonObject(text: string): { ok: true; value: unknown } | { ok: false; why: string } {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end < start) return { ok: false, why: 'it holds no JSON object' };
  try {
    return { ok: true, value: JSON.parse(text.slice(start, end + 1)) };
  } catch (error) {
    return { ok: false, why: `its JSON does not parse (${errorMessage(error)})` };
  }
}
