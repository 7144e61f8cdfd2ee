import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { Principal } from '../../src/core/principal.js';
import { fixtureServer, npmServerPath, repoRoot } from '../helpers/gateway.js';
import { errorOf, type RulesGateway, startRulesGateway, textOf } from './helpers.js';

const ci: Principal = { name: 'ci', kind: 'key' };
const bob: Principal = { name: 'bob', kind: 'jwt', scopes: ['read'], claims: { sub: 'bob' } };

/**
 * Three principals over three real servers: `ci` may use the echo and fix servers and the workflows (not
 * fix__text with "forbidden"), `bob` everything but the echo server, one prompt and one resource, `local`
 * (stdio, the CLI) everything.
 */
const config = {
  servers: {
    echo: { ...fixtureServer('echo.ts'), description: 'Echoes what it is told.' },
    fix: fixtureServer('workflow-tools.ts', [], { cwd: repoRoot }),
    everything: { command: process.execPath, args: [npmServerPath('server-everything'), 'stdio'] }
  },
  gateway: { adHocWorkflows: true, runTools: true },
  workflows: {
    shout: { description: 'Echoes hello', steps: [{ id: 'say', call: 'echo__echo', with: { message: '"hello"' } }] }
  },
  views: { find: { discovery: 'search' }, evr: { servers: ['everything'] } },
  rules: [
    { deny: 'principal.name == "bob" && server == "echo"' },
    { deny: 'principal.name == "bob" && kind == "resource" && uri.endsWith("features.md")' },
    { deny: 'principal.name == "bob" && kind == "prompt" && prompt == "everything__args-prompt"' },
    { deny: 'principal.name == "ci" && tool == "fix__text" && arguments.text == "forbidden"' },
    { allow: 'principal.name == "ci" && (server == "fix" || server == "echo" || kind == "workflow")' },
    { allow: 'principal.name == "bob"' },
    { allow: 'principal.kind == "local"' }
  ]
};

const names = (items: Array<{ name: string }>) => items.map(item => item.name);

describe('rules over real connections, per principal (createDownstreamServer, real servers)', () => {
  let gateway: RulesGateway;
  before(async () => {
    gateway = await startRulesGateway(config);
  });
  after(async () => {
    await gateway?.[Symbol.asyncDispose]();
  });

  it('tools/list holds only what each principal may see', async () => {
    const local = await gateway.connect(undefined);
    const all = names((await local.listTools()).tools);
    assert.ok(all.includes('echo__echo') && all.includes('fix__text') && all.includes('everything__echo') && all.includes('shout'));

    const asCi = names((await (await gateway.connect(ci)).listTools()).tools);
    assert.ok(asCi.includes('echo__echo') && asCi.includes('fix__text') && asCi.includes('shout') && asCi.includes('runs_status'));
    assert.deepEqual(asCi.filter(name => name.startsWith('everything__')), []);

    const asBob = names((await (await gateway.connect(bob)).listTools()).tools);
    assert.ok(asBob.includes('everything__echo') && asBob.includes('fix__text') && asBob.includes('shout'));
    assert.deepEqual(asBob.filter(name => name.startsWith('echo__')), []);
  });

  it('the instructions name only servers the caller can see something of', async () => {
    const local = (await gateway.connect(undefined)).getInstructions() ?? '';
    assert.match(local, /## echo\nEchoes what it is told\./);
    assert.match(local, /of 3 MCP server\(s\)/);
    const asBob = (await gateway.connect(bob)).getInstructions() ?? '';
    assert.doesNotMatch(asBob, /## echo|Echoes what/);
    assert.match(asBob, /of 2 MCP server\(s\)/);
  });

  it('a denied tool is refused with the very error of an unknown tool, and "did you mean" names only visible tools', async () => {
    const asBob = await gateway.connect(bob);
    const denied = await errorOf(asBob.callTool({ name: 'echo__echo', arguments: { message: 'x' } }));
    // A name that does not exist, as near to everything__echo as echo__echo is.
    const unknown = await errorOf(asBob.callTool({ name: 'echo__echp', arguments: {} }));
    assert.ok(denied && unknown);
    assert.equal(denied.code, unknown.code);
    assert.equal(denied.message.replace('echo__echo', 'NAME'), unknown.message.replace('echo__echp', 'NAME'));
    assert.doesNotMatch(`${denied.message} ${unknown.message}`, /echo__echo"?[,?]/);
    // The local user is told of echo__echo for a near miss; bob is not, though everything__echo is near too.
    const localMiss = await errorOf((await gateway.connect(undefined)).callTool({ name: 'echo__ech', arguments: {} }));
    assert.match(localMiss?.message ?? '', /did you mean .*"echo__echo"/);
    const bobMiss = await errorOf(asBob.callTool({ name: 'echo__ech', arguments: {} }));
    assert.match(bobMiss?.message ?? '', /^(MCP error -32602: )?unknown tool "echo__ech"/);
    assert.doesNotMatch(bobMiss?.message ?? '', /"echo__echo"/);
    // ci may call it.
    assert.equal(textOf(await (await gateway.connect(ci)).callTool({ name: 'echo__echo', arguments: { message: 'hi ci' } })), 'hi ci');
  });

  it('a rule on arguments lists the tool and refuses the call it denies, as unknown', async () => {
    const asCi = await gateway.connect(ci);
    assert.ok(names((await asCi.listTools()).tools).includes('fix__text'));
    assert.equal(textOf(await asCi.callTool({ name: 'fix__text', arguments: { text: 'fine' } })), 'fine');
    const denied = await errorOf(asCi.callTool({ name: 'fix__text', arguments: { text: 'forbidden' } }));
    assert.match(denied?.message ?? '', /unknown tool "fix__text"/);
    assert.equal(denied?.code, -32602);
  });

  it('prompts and resources: filtered lists; get and read refused as unknown ones', async () => {
    const asBob = await gateway.connect(bob);
    const prompts = names((await asBob.listPrompts()).prompts);
    assert.ok(prompts.includes('everything__simple-prompt'));
    assert.ok(!prompts.includes('everything__args-prompt'));
    const deniedPrompt = await errorOf(asBob.getPrompt({ name: 'everything__args-prompt', arguments: { city: 'x' } }));
    const unknownPrompt = await errorOf(asBob.getPrompt({ name: 'everything__nope-prompt', arguments: {} }));
    assert.equal(deniedPrompt?.code, unknownPrompt?.code);
    assert.equal(deniedPrompt?.message.replace('args-prompt', 'X'), unknownPrompt?.message.replace('nope-prompt', 'X'));

    // Completion for a hidden prompt: the same error as for an unknown one.
    const deniedCompletion = await errorOf(asBob.complete({ ref: { type: 'ref/prompt', name: 'everything__args-prompt' }, argument: { name: 'city', value: 'a' } }));
    assert.match(deniedCompletion?.message ?? '', /unknown prompt "everything__args-prompt"/);

    const uris = (await asBob.listResources()).resources.map(resource => resource.uri);
    assert.ok(uris.includes('demo://resource/static/document/architecture.md'));
    assert.ok(!uris.some(uri => uri.endsWith('features.md')));
    assert.equal(
      (await (await gateway.connect(undefined)).listResources()).resources.filter(resource => resource.uri.endsWith('features.md')).length,
      1
    );
    const deniedRead = await errorOf(asBob.readResource({ uri: 'demo://resource/static/document/features.md' }));
    assert.equal(deniedRead?.code, -32602);
    assert.match(deniedRead?.message ?? '', /Resource demo:\/\/resource\/static\/document\/features\.md not found/);
    assert.ok((await asBob.readResource({ uri: 'demo://resource/static/document/architecture.md' })).contents.length > 0);
    // A session cannot subscribe to it either.
    assert.match((await errorOf(asBob.subscribeResource({ uri: 'demo://resource/static/document/features.md' })))?.message ?? '', /not found/);
    // ci sees no resource, prompt or template of "everything" at all.
    const asCi = await gateway.connect(ci);
    assert.deepEqual((await asCi.listResources()).resources, []);
    assert.deepEqual((await asCi.listPrompts()).prompts, []);
    assert.deepEqual((await asCi.listResourceTemplates()).resourceTemplates, []);
    assert.ok((await asBob.listResourceTemplates()).resourceTemplates.length > 0);
  });

  it('a view that holds some servers: its prompt errors suggest nothing the caller may not see', async () => {
    const asLocal = await gateway.connect(undefined, 'evr');
    assert.match((await errorOf(asLocal.getPrompt({ name: 'everything__args-promp', arguments: {} })))?.message ?? '', /did you mean "everything__args-prompt"/);
    const asBob = await gateway.connect(bob, 'evr');
    const miss = await errorOf(asBob.getPrompt({ name: 'everything__args-promp', arguments: {} }));
    assert.match(miss?.message ?? '', /unknown prompt "everything__args-promp"/);
    assert.doesNotMatch(miss?.message ?? '', /"everything__args-prompt"/);
    const denied = await errorOf(asBob.getPrompt({ name: 'everything__args-prompt', arguments: {} }));
    assert.match(denied?.message ?? '', /unknown prompt "everything__args-prompt"/);
  });

  it('a workflow step runs as its caller: a step the caller may not call fails as an unknown tool', async () => {
    assert.equal(textOf(await (await gateway.connect(ci)).callTool({ name: 'shout', arguments: {} })), 'hello');
    const asBob = await gateway.connect(bob);
    const result = await asBob.callTool({ name: 'shout', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /unknown tool "echo__echo"/);
    // run_workflow checks an ad-hoc definition against what the caller may see: nothing runs.
    const adHoc = await asBob.callTool({ name: 'run_workflow', arguments: { workflow: { steps: [{ id: 'a', call: 'echo__echo', with: { message: '"x"' } }] } } });
    const nonexistent = await asBob.callTool({ name: 'run_workflow', arguments: { workflow: { steps: [{ id: 'a', call: 'echo__echp', with: { message: '"x"' } }] } } });
    assert.equal(adHoc.isError, true);
    assert.match(textOf(adHoc), /nothing was run/);
    assert.equal(textOf(adHoc).replace('echo__echo', 'X'), textOf(nonexistent).replace('echo__echp', 'X'));
  });

  it('a view in search mode: retrieve_tools finds, and call_tool calls, only visible tools', async () => {
    const asBob = await gateway.connect(bob, 'find');
    const found = await asBob.callTool({ name: 'retrieve_tools', arguments: { query: 'echo a message', limit: 20 } });
    const tools = (found.structuredContent as { tools: Array<{ name: string }> }).tools.map(tool => tool.name);
    assert.ok(tools.includes('everything__echo'), tools.join());
    assert.ok(!tools.includes('echo__echo'), tools.join());
    const asLocal = await gateway.connect(undefined, 'find');
    const localFound = await asLocal.callTool({ name: 'retrieve_tools', arguments: { query: 'echo a message', limit: 20 } });
    assert.ok((localFound.structuredContent as { tools: Array<{ name: string }> }).tools.some(tool => tool.name === 'echo__echo'));
    // retrieve_tools' description lists the servers: not the echo server for bob.
    const retrieve = (await asBob.listTools()).tools.find(tool => tool.name === 'retrieve_tools');
    assert.doesNotMatch(JSON.stringify(retrieve), /\becho\b(?!_)/);

    const denied = await asBob.callTool({ name: 'call_tool', arguments: { name: 'echo__echo', arguments: { message: 'x' } } });
    const unknown = await asBob.callTool({ name: 'call_tool', arguments: { name: 'echo__nothing', arguments: {} } });
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), /^No tool named "echo__echo" in this view\./);
    assert.doesNotMatch(textOf(denied), /Closest:.*echo__echo/);
    assert.doesNotMatch(textOf(unknown), /Closest:.*echo__echo/);
  });

  it('run history: a principal sees and resumes only its own runs', async () => {
    const asCi = await gateway.connect(ci);
    const started = await asCi.callTool({ name: 'runs_start', arguments: { workflow: 'shout' } });
    const runId = (started.structuredContent as { run_id: string }).run_id;
    assert.ok(runId, textOf(started));
    const own = await asCi.callTool({ name: 'runs_status', arguments: { run_id: runId } });
    assert.equal(own.isError, undefined, textOf(own));
    const asBob = await gateway.connect(bob);
    const other = await asBob.callTool({ name: 'runs_status', arguments: { run_id: runId } });
    const none = await asBob.callTool({ name: 'runs_status', arguments: { run_id: 'run_nothing' } });
    assert.equal(other.isError, true);
    assert.equal(textOf(other).replace(runId, 'X'), textOf(none).replace('run_nothing', 'X'));
    const resumeOther = await asBob.callTool({ name: 'runs_resume', arguments: { run_id: runId } });
    assert.match(textOf(resumeOther), /^no run "[^"]+" in the run store/);
    const cancelOther = await asBob.callTool({ name: 'runs_cancel', arguments: { run_id: runId } });
    assert.match(textOf(cancelOther), /^no run "[^"]+" \(manifold runs/);
    // The run is recorded with the principal that started it.
    const store = gateway.core.workflows.store;
    assert.equal(store?.getRun(runId)?.run.principal, 'ci');
    // bob may not start a workflow it cannot see: none here; ci may not start one by a name it cannot see either.
    const hiddenStart = await asCi.callTool({ name: 'runs_start', arguments: { workflow: 'everything__echo' } });
    assert.equal(hiddenStart.isError, true);
  });
});

describe('runs without rules', () => {
  it('a key or token still sees only its own runs', async () => {
    await using gateway = await startRulesGateway({
      servers: { fix: fixtureServer('workflow-tools.ts', [], { cwd: repoRoot }) },
      gateway: { runTools: true },
      workflows: { say: { steps: [{ id: 'a', call: 'fix__text', with: { text: '"hi"' } }] } }
    });
    assert.equal(gateway.core.access.active, false);
    const asCi = await gateway.connect(ci);
    const runId = ((await asCi.callTool({ name: 'runs_start', arguments: { workflow: 'say' } })).structuredContent as { run_id: string }).run_id;
    assert.equal((await asCi.callTool({ name: 'runs_status', arguments: { run_id: runId } })).isError, undefined);
    const other = await (await gateway.connect(bob)).callTool({ name: 'runs_status', arguments: { run_id: runId } });
    assert.equal(other.isError, true);
    assert.match(textOf(other), /^No run "/);
    // The local user's runs are the local user's.
    const asLocal = await gateway.connect(undefined);
    assert.equal((await asLocal.callTool({ name: 'runs_status', arguments: { run_id: runId } })).isError, true);
  });
});
