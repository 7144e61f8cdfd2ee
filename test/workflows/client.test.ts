import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { connectHttp, connectStdio, startHttpGateway, waitFor, writeConfig } from '../helpers/gateway.js';
import { fixtureServers } from './helpers.js';

const workflows = {
  stepped: {
    steps: [
      { id: 'one', call: 'fix__text', with: { text: '1' } },
      { id: 'many', map: '[1,2,3]', concurrency: 1, call: 'fix__sleep', with: { ms: 100, label: 'client-progress' } },
      { id: 'three', call: 'fix__text', with: { text: '"done"' } }
    ]
  },
  hangs: {
    input: { type: 'object', properties: { tag: { type: 'string' } }, required: ['tag'] },
    steps: [{ id: 'wait', parallel: { a: { call: 'fix__hang', with: { label: '{{ input.tag }}-a' } }, b: { call: 'fix__hang', with: { label: '{{ input.tag }}-b' } } } }]
  }
};

describe('workflows through a real MCP client (manifold serve over stdio)', () => {
  for (const era of ['legacy', 'modern'] as const) {
    it(`${era}: progress notifications arrive as steps finish, then the result`, async () => {
      await using config = writeConfig({ servers: fixtureServers, workflows });
      await using connected = await connectStdio(config.path, { era });
      const { tools } = await connected.client.listTools();
      const stepped = tools.find(tool => tool.name === 'stepped');
      assert.ok(stepped, 'the workflow is listed as a tool');
      assert.equal(stepped.annotations?.readOnlyHint, true);
      const seen: Array<{ progress: number; total?: number; message?: string }> = [];
      const result = await connected.client.callTool({ name: 'stepped', arguments: {} }, { onprogress: progress => seen.push(progress) });
      assert.deepEqual(result.content, [{ type: 'text', text: 'done' }]); // the text "done" (JSON) parsed to the string done
      // The SDK client drops progress it reads in the same chunk as the result (see assertProgress), so the last
      // steps' progress may be missing here; that every step's progress is sent before the result is checked
      // in-process in workflow-runs.test.ts. Step "one" finishes 300 ms before the result, so its progress arrives.
      assert.ok(seen.length >= 1, JSON.stringify(seen));
      seen.slice(1).forEach((entry, index) => assert.ok(entry.progress > seen[index]!.progress, JSON.stringify(seen)));
      assert.match(seen[0]!.message ?? '', /^step "one" done in \d+ ms$/);
      assert.ok(seen.every(entry => entry.total === 3));
    });

    it(`${era}: the client's cancellation stops the run and cancels the upstream calls in flight`, async () => {
      await using config = writeConfig({ servers: fixtureServers, workflows });
      await using connected = await connectStdio(config.path, { era });
      const journal = async () => {
        const result = await connected.client.callTool({ name: 'fix__journal', arguments: {} });
        return JSON.parse((result.content as Array<{ text: string }>)[0]!.text) as { started: string[]; cancelled: Array<{ label: string }> };
      };
      const controller = new AbortController();
      const tag = `client-${era}`;
      const call = connected.client.callTool({ name: 'hangs', arguments: { tag } }, { signal: controller.signal, timeout: 60_000 });
      call.catch(() => {});
      await waitFor(async () => (await journal()).started.filter(label => label.startsWith(tag)).length === 2, 'both upstream calls to start');
      controller.abort('the user changed their mind');
      await assert.rejects(call);
      await waitFor(async () => {
        const labels = (await journal()).cancelled.map(entry => entry.label);
        return labels.includes(`${tag}-a`) && labels.includes(`${tag}-b`);
      }, 'the upstream server to see both calls cancelled');
    });

    it(`${era} over Streamable HTTP: progress, then the result; cancellation reaches the upstream`, async () => {
      await using config = writeConfig({ servers: fixtureServers, workflows });
      await using gateway = await startHttpGateway(config.path);
      await using client = await connectHttp(gateway.url, { era });
      const seen: number[] = [];
      const result = await client.callTool({ name: 'stepped', arguments: {} }, { onprogress: progress => seen.push(progress.progress) });
      assert.deepEqual(result.content, [{ type: 'text', text: 'done' }]);
      assert.ok(seen[0] === 1, JSON.stringify(seen)); // the rest may be read with the result and dropped by the client
      seen.slice(1).forEach((value, index) => assert.ok(value > seen[index]!, JSON.stringify(seen)));

      const journal = async () => {
        const answer = await client.callTool({ name: 'fix__journal', arguments: {} });
        return JSON.parse((answer.content as Array<{ text: string }>)[0]!.text) as { started: string[]; cancelled: Array<{ label: string }> };
      };
      const controller = new AbortController();
      const tag = `http-${era}`;
      const call = client.callTool({ name: 'hangs', arguments: { tag } }, { signal: controller.signal, timeout: 60_000 });
      call.catch(() => {});
      await waitFor(async () => (await journal()).started.filter(label => label.startsWith(tag)).length === 2, 'both upstream calls to start');
      controller.abort();
      await assert.rejects(call);
      await waitFor(async () => (await journal()).cancelled.filter(entry => entry.label.startsWith(tag)).length === 2, 'the upstream server to see both calls cancelled');
    });
  }
});
