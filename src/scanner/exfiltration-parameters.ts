import type { TextMatch } from './text-rules.js';

/** Parameter names that ask the model for the conversation or its instructions: no tool needs these. */
const conversationName =
  /^(?:(?:full|entire|complete|whole|previous|prior|past|all|recent|current)[ _-]?)?(?:conversation|chat|dialog(?:ue)?|session|message|context)s?[ _-]?(?:history|log|logs|transcript|context|so[ _-]?far|messages|window|dump)$|^(?:conversation|transcript|context[ _-]?window|full[ _-]?context|all[ _-]?messages|previous[ _-]?messages|prior[ _-]?messages|chat[ _-]?log)$/i;
const instructionsName =
  /(?:^|[ _-])(?:system|developer|assistant|model|hidden|original|initial)[ _-]?(?:prompt|message|instructions?)s?$|^(?:system|your)[ _-]?(?:prompt|instructions)/i;
/** Parameter names of secrets: a tool may need one (a login tool), so a bare one is medium. */
const secretName =
  /^(?:user[ _-]?|my[ _-]?|your[ _-]?)?(?:api[ _-]?key|apikey|api[ _-]?token|secret|secret[ _-]?key|password|passwd|passphrase|private[ _-]?key|ssh[ _-]?key|ssh[ _-]?private[ _-]?key|access[ _-]?token|auth[ _-]?token|bearer[ _-]?token|session[ _-]?token|refresh[ _-]?token|credentials?|client[ _-]?secret|aws[ _-]?secret(?:[ _-]?access[ _-]?key)?|env(?:ironment)?[ _-]?(?:vars|variables)|mnemonic|seed[ _-]?phrase)s?$/i;
/** A secret parameter's text that tells the model to take the value from somewhere it can reach. */
const liftsFromContext =
  /\b(?:from|in|of|inside|within)\s+(?:the\s+|your\s+)?(?:environment|env\b|env vars?|\.env|context|conversation|chat|config(?:uration)?(?:\s+files?)?|mcp\.json|memory|system prompt|instructions|home directory|~\/|previous messages)|\b(?:read|look up|find|extract|copy)\s+(?:it|them|this|the value)\b/i;

/**
 * E007 on a parameter name: the conversation or system prompt (high); a secret (medium, high when its
 * description tells the model to take it from its context, files or environment).
 */
export function matchExfiltrationParameter(name: string, description: string | undefined): TextMatch | undefined {
  const spaced = name.replace(/([a-z])([A-Z])/g, '$1_$2');
  if (conversationName.test(spaced) || instructionsName.test(spaced)) return { rule: 'E007', severity: 'high', evidence: `parameter "${name}"` };
  if (secretName.test(spaced)) {
    const lifted = description !== undefined && liftsFromContext.test(description);
    return { rule: 'E007', severity: lifted ? 'high' : 'medium', evidence: `parameter "${name}"${lifted ? `: ${description?.slice(0, 120)}` : ''}` };
  }
  return undefined;
}
