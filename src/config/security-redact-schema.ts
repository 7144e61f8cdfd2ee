import * as z from 'zod/v4';

/** The words of `redact:` (docs/SECURITY.md "Redaction"). */
export const redactModeNames = ['off', 'results', 'arguments', 'block'] as const;

/**
 * `redact:` of the gateway (`security.redact`, the default) or of one server (`servers.<name>.redact`): one word or
 * a list of them. `results` redacts what the server answers, `arguments` what is sent to it, `block` refuses a call
 * whose arguments carry a high-confidence secret (a private key, a cloud or API token, a JWT, a connection string's
 * password); `off` none of it. Logs, audit rows and spans are redacted always, whatever this says.
 */
export const redactSchema = z
  .union([z.enum(redactModeNames), z.array(z.enum(redactModeNames)).min(1)])
  .transform((value, context) => {
    const words = typeof value === 'string' ? [value] : value;
    if (words.includes('off') && words.length > 1) {
      context.addIssue({
        code: 'custom',
        message: '"off" cannot be combined with other modes: use off alone, or a list of results, arguments, block'
      });
      return z.NEVER;
    }
    return {
      results: words.includes('results'),
      arguments: words.includes('arguments'),
      block: words.includes('block')
    };
  });

export type RedactConfig = z.output<typeof redactSchema>;

/** `security:` members of redaction (other `security:` members sit beside them in schema.ts). */
export const securityRedactFields = {
  /** The gateway-wide default of every server's `redact:` (off unless set). */
  redact: redactSchema.prefault('off')
};
