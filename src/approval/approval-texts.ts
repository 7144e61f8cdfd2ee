import type { GatewayResult } from '../core/pipeline.js';

/** One call waiting for a decision, as the gate, the prompt and the queue see it. */
export interface ApprovalCall {
  /** `kind:name` of the caller. */
  principal: string;
  /** Public tool name, its server, and its name there. */
  tool: string;
  server: string;
  upstream: string;
  args: Record<string, unknown>;
  /** SHA-256 (hex) of the arguments' canonical JSON, and that JSON. */
  digest: string;
  argsText: string;
  /** Why the policy asks. */
  reason: string;
}

export type ApprovalAnswer = 'accept' | 'decline' | 'cancel';

/** Where tool results of the gate say what was decided (`_meta`), and where the elicitation names the call. */
export const approvalMetaKey = 'manifold/approval';

/** The key of the gate's one request in an `input_required` result. */
export const approvalInputKey = 'manifold_approval';

const maxShownArguments = 4000;

function shownArguments(call: ApprovalCall): string {
  const text = JSON.stringify(call.args, null, 2);
  return text.length > maxShownArguments ? `${text.slice(0, maxShownArguments)}\n… (${text.length - maxShownArguments} more characters)` : text;
}

/** The form-mode `elicitation/create` params: the tool, its server and its arguments, nothing to fill in. */
export function approvalElicitation(call: ApprovalCall): Record<string, unknown> {
  return {
    mode: 'form',
    message: `Approve this call?\n\nTool: ${call.tool}\nServer: ${call.server}\nWhy asked: ${call.reason}\nArguments:\n${shownArguments(call)}\n\nAccept runs it once; decline or cancel does not run it.`,
    requestedSchema: { type: 'object', properties: {} },
    _meta: { [approvalMetaKey]: { tool: call.tool, server: call.server, arguments: call.args, reason: call.reason } }
  };
}

/** A tool error: the call did not run, because of this decision. */
export function refusedResult(call: ApprovalCall, decision: ApprovalAnswer | 'denied', detail: string): GatewayResult {
  const how =
    decision === 'denied'
      ? 'a person denied it (manifold approvals deny)'
      : decision === 'decline'
        ? 'the user declined it'
        : `the user cancelled the approval${detail ? ` (${detail})` : ''}`;
  return {
    content: [
      {
        type: 'text',
        text: `Manifold: the call of "${call.tool}" (server "${call.server}") was not approved: ${how} (decision: ${decision}). It did not run. Do not retry it unless the user asks you to; ask the user how to go on.`
      }
    ],
    isError: true,
    _meta: { [approvalMetaKey]: { decision, tool: call.tool, server: call.server } }
  };
}

/** A tool error for a client that cannot be asked: the approval is queued; how to grant it and retry. */
export function queuedResult(call: ApprovalCall, id: string, expiresAt: number, now: number): GatewayResult {
  const minutes = Math.max(1, Math.round((expiresAt - now) / 60_000));
  return {
    content: [
      {
        type: 'text',
        text:
          `Manifold: the call of "${call.tool}" (server "${call.server}") needs approval (${call.reason}), and this client cannot ask the user (it did not declare elicitation). ` +
          `Approval id: ${id}. It did not run. A person grants it on the gateway's host with \`manifold approvals grant ${id}\` (or refuses with \`manifold approvals deny ${id}\`; \`manifold approvals\` lists what waits); ` +
          `then make the same call again, with the same arguments, within ${minutes} min: it runs once.`
      }
    ],
    isError: true,
    _meta: { [approvalMetaKey]: { decision: 'pending', id, tool: call.tool, server: call.server, expiresAt: new Date(expiresAt).toISOString() } }
  };
}
