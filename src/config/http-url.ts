import * as z from 'zod/v4';

/** A string that parses as an `http:` or `https:` URL; `message` is the issue otherwise (say what to write). */
export function httpUrlSchema(message: string) {
  return z.string().refine(value => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, message);
}
