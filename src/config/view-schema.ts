import * as z from 'zod/v4';

/** View names appear in URLs (`/mcp/<view>`) and on the command line. */
export const viewNamePattern = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Tool names every LLM API accepts. */
const toolNamePattern = /^[A-Za-z0-9_-]{1,64}$/;

const globList = z.array(z.string().min(1)).optional();

/**
 * How a view lists its tools: everything, only the search meta tools, pinned tools plus the meta tools, or
 * (`routed`) a `route` meta tool whose choice narrows the list to one route's tools, per session.
 */
export const discoveryModes = ['all', 'search', 'hybrid', 'routed'] as const;
export type DiscoveryMode = (typeof discoveryModes)[number];

export const viewToolOverrideSchema = z.strictObject({
  /** The name clients of this view see (and call). */
  name: z.string().regex(toolNamePattern, 'a tool name must match ^[A-Za-z0-9_-]{1,64}$').optional(),
  /** The description clients of this view see (and search). */
  description: z.string().optional()
});

/**
 * A named slice of the catalog served as its own endpoint (`/mcp/<view>`, `serve --view`). Filters apply
 * in order: servers, include, exclude, tags, readOnly.
 */
export const viewSchema = z.strictObject({
  /** What the view is for (shown by `manifold views`). */
  description: z.string().optional(),
  /** Only tools of these servers (config names; `workflows` for workflow tools). All when absent. */
  servers: z.array(z.string().min(1)).optional(),
  /** Globs on public tool names (`github__*`) to keep; all when absent. */
  include: globList,
  /** Globs on public tool names to drop. */
  exclude: globList,
  /** Keep only tools with at least one of these tags (server `tags` or `toolTags`). */
  tags: z.array(z.string().min(1)).optional(),
  /** Keep only tools annotated `readOnlyHint: true`. */
  readOnly: z.boolean().default(false),
  /** Per tool (by public name): a new name and/or description in this view. */
  tools: z.record(z.string(), viewToolOverrideSchema).default({}),
  /** `all` lists every tool; `search` lists only retrieve_tools and call_tool; `hybrid` lists the pinned tools and both. */
  discovery: z.enum(discoveryModes).default('all'),
  /** Globs on the view's tool names listed directly in `hybrid` mode. */
  pin: z.array(z.string().min(1)).default([]),
  /** `routed` mode: the router (a key of `routers`) whose choice narrows the list. */
  router: z.string().min(1).optional()
});

export const viewsSchema = z
  .record(z.string(), viewSchema)
  .default({})
  .superRefine((views, context) => {
    for (const [name, view] of Object.entries(views)) {
      if (view.discovery === 'routed' && view.router === undefined)
        context.addIssue({
          code: 'custom',
          path: [name, 'router'],
          message: 'discovery "routed" needs a router: the key of a routers entry whose choice narrows the list'
        });
      if (view.discovery !== 'routed' && view.router !== undefined)
        context.addIssue({
          code: 'custom',
          path: [name, 'router'],
          message: `only a view with discovery "routed" takes a router (this one is "${view.discovery}")`
        });
      if (!viewNamePattern.test(name)) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `view name "${name}" must use letters, digits, "-" and "_" (it becomes the URL path /mcp/${name})`
        });
      }
    }
  });

export type ViewConfig = z.infer<typeof viewSchema>;
export type ViewToolOverride = z.infer<typeof viewToolOverrideSchema>;
