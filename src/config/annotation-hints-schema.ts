import * as z from 'zod/v4';

/**
 * The annotation hints a config may set, on a server's tools (`servers.<name>.annotations`) or on a workflow
 * (`workflows.<name>.annotations`); `subject` names what cannot be both read-only and destructive.
 */
export function annotationHintsSchema(subject: string) {
  return z
    .strictObject({
      title: z.string().optional(),
      readOnlyHint: z.boolean().optional(),
      destructiveHint: z.boolean().optional(),
      idempotentHint: z.boolean().optional(),
      openWorldHint: z.boolean().optional()
    })
    .refine(
      hints => !(hints.readOnlyHint === true && hints.destructiveHint === true),
      `${subject} cannot be both read-only and destructive`
    );
}
