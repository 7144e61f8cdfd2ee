/**
 * The approval gate (docs/SECURITY.md "Approval before destructive calls") with real SDK clients against a real
 * gateway over HTTP: a 2025 client answering the pushed elicitation, a 2026-07-28 client answering input_required,
 * each accepting, declining and cancelling; a client without elicitation granted on the CLI; a workflow whose
 * steps hit the gate; and the audit rows of the decisions. The fixture's `write` is destructive and counts each
 * real run in a file.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Client } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';

import { argumentsDigest } from '../../src/approval/index.js';
import { auditRows } from '../audit/helpers.js';
import { runCli } from '../helpers/fixtures.js';
import { connectHttp, type Era, fixtureServer, manifoldCommand, stopChild, type TempConfig, waitForStderr, writeConfig } from '../helpers/gateway.js';

/**
 * One gateway for every test (a start costs seconds on a loaded machine): `counter` (untrusted, the defaults),
 * `mine` (trust: trusted) and `other` (untrusted), the policy's globs and CEL condition on tools the other tests do
 * not call, and a workflow of two steps. Each test uses keys of its own.
 */
function approvalConfig(dir: string): Record<string, unknown> {
  return {
    servers: {
      counter: fixtureServer('counter.ts', [join(dir, 'calls.txt')]),
      mine: fixtureServer('counter.ts', [join(dir, 'mine.txt')], { trust: 'trusted' }),
      other: fixtureServer('counter.ts', [join(dir, 'other.txt')])
    },
    security: { approval: { always: ['mine__read'], never: ['other__write'], when: 'tool == "other__read" && arguments.key == "secret"' } },
    workflows: {
      two_writes: {
        description: 'writes twice',
        input: { type: 'object', properties: { p: { type: 'string' } }, required: ['p'] },
        steps: [
          // Fails its first attempt on purpose (failWhen), so the retry makes the same call again.
          { id: 'first', call: 'counter__write', with: { key: '{{ input.p & "w1" }}' }, failWhen: 'result.wrote < 2', retry: { attempts: 2, backoff: '5ms', force: true } },
          { id: 'second', call: 'counter__write', with: { key: '{{ input.p & "w2" }}' } }
        ]
      }
    }
  };
}

/** How often the fixture really ran `write <key>`. */
function writes(dir: string, key: string): number {
  const file = join(dir, 'calls.txt');
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8').split('\n').filter(line => line === `write ${key}`).length;
}

function textOf(result: { content?: unknown }): string {
  return ((result.content as { type: string; text?: string }[] | undefined) ?? []).map(block => block.text ?? '').join('\n');
}

type Answer = 'accept' | 'decline' | 'cancel';

/** Answers the gate's elicitation with `answer.next`, and records what it was shown. */
function answering(client: Client): { next: Answer; asked: Record<string, unknown>[] } {
  const state: { next: Answer; asked: Record<string, unknown>[] } = { next: 'accept', asked: [] };
  client.setRequestHandler('elicitation/create', request => {
    state.asked.push(request.params);
    return state.next === 'accept' ? { action: 'accept', content: {} } : { action: state.next };
  });
  return state;
}

describe('approval gate with real SDK clients', { timeout: 900_000 }, () => {
  let scratch: TempConfig;
  let written: TempConfig;
  let child: ChildProcess;
  const gateway = { url: '' };
  before(async () => {
    // The fixtures count their runs in files of a folder of their own.
    scratch = writeConfig({});
    written = writeConfig(approvalConfig(scratch.dir));
    // Like startHttpGateway, with more time to start: three servers behind it on a shared machine.
    child = spawn(manifoldCommand.command, [...manifoldCommand.args, 'serve', '--http', '0', '--config', written.path, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    gateway.url = (await waitForStderr(child, /serving MCP at (\S+)/, 'gateway', 180_000)).match[1] as string;
  });
  after(async () => {
    if (child) await stopChild(child, 10_000);
    await written?.[Symbol.asyncDispose]();
    await scratch?.[Symbol.asyncDispose]();
  });
  const dir = () => scratch.dir;
  /** The gate's audit rows of calls with these arguments. */
  const approvalRows = async (args: Record<string, unknown>) => {
    const digest = argumentsDigest(args).digest;
    return (await auditRows(written.path)).filter(row => row.method === 'manifold/approval' && row.argsDigest === digest);
  };

  for (const era of ['legacy', 'modern'] as Era[]) {
    it(`${era === 'legacy' ? '2025 client (elicitation/create pushed)' : '2026-07-28 client (input_required)'}: accept runs the call once, decline and cancel do not run it`, async () => {
      await using client = await connectHttp(gateway.url, { era, capabilities: { elicitation: {} } });
      const answers = answering(client);
      const key = (what: string) => `${era}-${what}`;

      const accepted = await client.callTool({ name: 'counter__write', arguments: { key: key('a') } });
      assert.equal(accepted.isError, undefined, textOf(accepted));
      assert.deepEqual(JSON.parse(textOf(accepted)), { key: key('a'), wrote: 1 });
      assert.equal(answers.asked.length, 1);
      const shown = answers.asked[0] as { message: string; requestedSchema: unknown; _meta?: Record<string, unknown> };
      assert.match(shown.message, /Tool: counter__write\nServer: counter\n/);
      assert.match(shown.message, new RegExp(`"key": "${key('a')}"`));
      assert.deepEqual((shown._meta?.['manifold/approval'] as { arguments: unknown }).arguments, { key: key('a') });

      for (const answer of ['decline', 'cancel'] as const) {
        answers.next = answer;
        const refused = await client.callTool({ name: 'counter__write', arguments: { key: key(answer) } });
        assert.equal(refused.isError, true);
        assert.match(textOf(refused), new RegExp(`the call of "counter__write" \\(server "counter"\\) was not approved: .*\\(decision: ${answer}\\)\\. It did not run`));
        assert.equal(writes(dir(), key(answer)), 0, `${answer}: the tool did not run`);
      }
      assert.equal(writes(dir(), key('a')), 1);

      // A read-only tool is not asked about.
      answers.asked.length = 0;
      await client.callTool({ name: 'counter__read', arguments: { key: key('r') } });
      assert.equal(answers.asked.length, 0);

      const how = era === 'legacy' ? '(elicitation)' : '(input_required)';
      for (const [what, outcome, decision] of [['a', 'ok', 'accept'], ['decline', 'denied', 'decline'], ['cancel', 'denied', 'cancel']] as const) {
        const rows = await approvalRows({ key: key(what) });
        assert.deepEqual(rows.map(row => [row.target, row.outcome, row.error]), [['counter__write', outcome, `${decision} ${how}`]]);
      }
    });
  }

  it('2026-07-28 raw: the sealed state is refused when tampered, replayed, or sent with other arguments', async () => {
    await using client = await connectHttp(gateway.url, { era: 'modern', capabilities: { elicitation: {} } });
    const raw = (args: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      client.request({ method: 'tools/call', params: { name: 'counter__write', arguments: args, ...extra } }, ResultSchema, { allowInputRequired: true });

    const first = await raw({ key: 'x' });
    assert.equal(first.resultType, 'input_required');
    assert.deepEqual(Object.keys(first.inputRequests as object), ['manifold_approval']);
    const state = first.requestState as string;
    assert.ok(state.startsWith('manifold.approval.v1.'));
    const accept = { inputResponses: { manifold_approval: { action: 'accept', content: {} } } };

    await assert.rejects(raw({ key: 'x' }, { ...accept, requestState: `${state.slice(0, -2)}AA` }), /approval requestState .* is refused: it is not sealed by this gateway/);
    await assert.rejects(raw({ key: 'y' }, { ...accept, requestState: state }), /refused: it was issued for other arguments/);
    const done = await raw({ key: 'x' }, { ...accept, requestState: state });
    assert.deepEqual(JSON.parse(textOf(done as { content?: unknown })), { key: 'x', wrote: 1 });
    await assert.rejects(raw({ key: 'x' }, { ...accept, requestState: state }), /refused: it was used already/);
    assert.equal(writes(dir(), 'x'), 1);
    assert.equal(writes(dir(), 'y'), 0);
  });

  for (const era of ['legacy', 'modern'] as Era[]) {
    it(`${era} client without elicitation: a tool error with the approval id; manifold approvals grant; the retry runs once`, async () => {
      await using client = await connectHttp(gateway.url, { era, capabilities: {} });
      const key = (what: string) => `${era}-${what}`;

      const asked = await client.callTool({ name: 'counter__write', arguments: { key: key('q') } });
      assert.equal(asked.isError, true);
      const text = textOf(asked);
      assert.match(text, /needs approval \(destructiveHint on server "counter", which is not marked trust: trusted\)/);
      assert.match(text, /manifold approvals grant [0-9a-f]{12}/);
      const id = /Approval id: ([0-9a-f]{12})/.exec(text)?.[1] as string;
      // Asking again before a decision names the same approval.
      assert.match(textOf(await client.callTool({ name: 'counter__write', arguments: { key: key('q') } })), new RegExp(`Approval id: ${id}`));

      const listed = await runCli(['approvals', '--json', '--config', written.path]);
      assert.equal(listed.code, 0, listed.stderr);
      const queue = JSON.parse(listed.stdout) as { approvals: { id: string; status: string; tool: string; server: string; principal: string; arguments: unknown }[] };
      assert.deepEqual(
        queue.approvals.filter(row => row.id === id).map(row => [row.status, row.tool, row.server, row.principal, row.arguments]),
        [['pending', 'counter__write', 'counter', 'local:local', { key: key('q') }]]
      );
      if (era === 'legacy') assert.match((await runCli(['approvals', '--config', written.path])).stdout, new RegExp(`${id}\\s+pending\\s+local:local\\s+counter__write`));

      const granted = await runCli(['approvals', 'grant', id, '--config', written.path]);
      assert.equal(granted.code, 0, granted.stderr);
      assert.match(granted.stderr, /granted .*the client's retry of the same call/);
      if (era === 'legacy') {
        const again = await runCli(['approvals', 'grant', id, '--config', written.path]);
        assert.notEqual(again.code, 0);
        assert.match(again.stderr, /is granted already/);
      }

      // Other arguments do not use the grant.
      const other = await client.callTool({ name: 'counter__write', arguments: { key: key('other') } });
      assert.equal(other.isError, true);
      assert.equal(writes(dir(), key('other')), 0);

      const ran = await client.callTool({ name: 'counter__write', arguments: { key: key('q') } });
      assert.equal(ran.isError, undefined, textOf(ran));
      assert.deepEqual(JSON.parse(textOf(ran)), { key: key('q'), wrote: 1 });
      // Once: the next retry is a new approval.
      const next = await client.callTool({ name: 'counter__write', arguments: { key: key('q') } });
      assert.equal(next.isError, true);
      assert.doesNotMatch(textOf(next), new RegExp(id));
      assert.equal(writes(dir(), key('q')), 1);

      // (The 2026 client: the same queue; the rest is era-independent.)
      if (era === 'modern') return;
      // Denied: the retry says so and does not run.
      const denyId = /Approval id: ([0-9a-f]{12})/.exec(textOf(other))?.[1] as string;
      assert.equal((await runCli(['approvals', 'deny', denyId, '--config', written.path])).code, 0);
      const denied = await client.callTool({ name: 'counter__write', arguments: { key: key('other') } });
      assert.match(textOf(denied), /a person denied it \(manifold approvals deny\) \(decision: denied\)/);
      assert.equal(writes(dir(), key('other')), 0);

      const decisions = [...(await approvalRows({ key: key('q') })), ...(await approvalRows({ key: key('other') }))].map(row => row.error ?? '');
      assert.ok(decisions.some(decision => decision.startsWith(`grant ${id} (by cli:`)), decisions.join('\n'));
      assert.ok(decisions.some(decision => decision.startsWith(`deny ${denyId} (by cli:`)), decisions.join('\n'));
      assert.ok(decisions.some(decision => decision.startsWith(`grant ${id} used`)), decisions.join('\n'));
      const verified = await runCli(['audit', 'verify', '--config', written.path]);
      assert.equal(verified.code, 0, `the CLI's rows keep the chain intact: ${verified.stderr}`);
    });
  }

  it('policy: trust: trusted, never and always globs, and a CEL condition', async () => {
    await using client = await connectHttp(gateway.url, { era: 'legacy', capabilities: { elicitation: {} } });
    const answers = answering(client);
    await client.callTool({ name: 'mine__write', arguments: { key: 't' } });
    await client.callTool({ name: 'other__write', arguments: { key: 't' } });
    await client.callTool({ name: 'other__read', arguments: { key: 'public' } });
    assert.equal(answers.asked.length, 0, 'a trusted server, a never glob, a CEL condition that does not hold');
    await client.callTool({ name: 'mine__read', arguments: { key: 't' } });
    await client.callTool({ name: 'other__read', arguments: { key: 'secret' } });
    assert.deepEqual(
      answers.asked.map(params => /Tool: (\S+)\n.*\nWhy asked: (.*)\n/.exec(params.message as string)?.slice(1)),
      [
        ['mine__read', 'security.approval.always "mine__read"'],
        ['other__read', 'security.approval.when (tool == "other__read" && arguments.key == "secret") holds']
      ]
    );
  });

  for (const era of ['legacy', 'modern'] as Era[]) {
    it(`${era} client runs a workflow: each step that hits the gate is asked once, a retried step is not asked again`, async () => {
      await using client = await connectHttp(gateway.url, { era, capabilities: { elicitation: {} } });
      const answers = answering(client);
      const result = await client.callTool({ name: 'two_writes', arguments: { p: era } });
      assert.equal(result.isError, undefined, textOf(result));
      assert.equal(writes(dir(), `${era}w1`), 2, 'the first step ran twice (its retry)');
      assert.equal(writes(dir(), `${era}w2`), 1);
      assert.equal(answers.asked.length, 2, 'one question per step, none for the retry');

      // Declined: the step fails with the decision, and the next step does not run.
      answers.next = 'decline';
      const declined = await client.callTool({ name: 'two_writes', arguments: { p: `${era}-no` } });
      assert.equal(declined.isError, true);
      assert.match(textOf(declined), /not approved: the user declined it/);
      assert.equal(writes(dir(), `${era}-now1`), 0);
      assert.equal(writes(dir(), `${era}-now2`), 0);
    });
  }
});
