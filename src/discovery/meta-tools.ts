import type { Tool } from '@modelcontextprotocol/client';

/** Names of the two tools a `search` or `hybrid` view lists instead of (or besides) the catalog. */
export const retrieveToolsName = 'retrieve_tools';
export const callToolName = 'call_tool';
export const metaToolNames: readonly string[] = [retrieveToolsName, callToolName];

export const defaultRetrieveLimit = 5;

/** Added to the server instructions of a `search` or `hybrid` view, so the model knows to look before it gives up. */
export const metaToolInstructions =
  'More tools are available than are listed: call retrieve_tools with what you want to do to find them (it returns their ' +
  'full definitions), then call_tool with the exact name and arguments.';
export const maxRetrieveLimit = 50;

/** The meta tools' definitions. `servers` names the servers a view holds, for the `server` argument. */
export function metaToolDefinitions(servers: readonly string[]): Tool[] {
  const serverHint = servers.length > 0 ? ` One of: ${servers.join(', ')}.` : '';
  return [
    {
      name: retrieveToolsName,
      title: 'Find tools',
      description:
        'Search the tools this gateway can call (more than are listed to you) and get the best matches with their full definitions: ' +
        'name, description, inputSchema, annotations and a relevance score, best first. Use it before you give up on a task for lack ' +
        'of a tool, and whenever you need a capability that no listed tool offers. Describe the task in a few plain words ' +
        '(e.g. "create an issue in a GitHub repository", "read a file", "current weather in a city"); search again with other words ' +
        'if nothing fits. Then call the tool you chose with call_tool, using its exact name and arguments that match its inputSchema. ' +
        'Scores rank results within one search; they are not comparable across searches.',
      inputSchema: {
        type: 'object',
        properties: {
          query: {
            type: 'string',
            description:
              'What you want to do, in plain words: the action and the object (names of products or services help).'
          },
          limit: {
            type: 'integer',
            minimum: 1,
            maximum: maxRetrieveLimit,
            description: `How many tools to return (default ${defaultRetrieveLimit}, at most ${maxRetrieveLimit}).`
          },
          server: {
            type: 'string',
            description: `Only tools of this server (the part of a tool name before "__").${serverHint}`
          }
        },
        required: ['query'],
        additionalProperties: false
      },
      annotations: {
        title: 'Find tools',
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false
      }
    },
    {
      name: callToolName,
      title: 'Call a found tool',
      description:
        'Call a tool that retrieve_tools returned, by its exact name, with arguments that match its inputSchema. The call goes ' +
        "through the gateway exactly like a direct call (same permissions, limits, audit and progress) and returns that tool's own " +
        'result unchanged. If you are unsure of the name or the arguments, use retrieve_tools first; an unknown name returns an ' +
        'error that says so.',
      inputSchema: {
        type: 'object',
        properties: {
          name: {
            type: 'string',
            description: 'The exact tool name, as retrieve_tools returned it (e.g. "github__create_issue").'
          },
          arguments: {
            type: 'object',
            description: "The tool's arguments, matching its inputSchema. Omit or {} for none.",
            additionalProperties: true
          }
        },
        required: ['name'],
        additionalProperties: false
      },
      annotations: { title: 'Call a found tool', openWorldHint: true }
    }
  ];
}
