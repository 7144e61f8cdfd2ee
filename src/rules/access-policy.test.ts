import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseConfig } from '../config/index.js';
import { localPrincipal, type Principal } from '../core/principal.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { AccessPolicy, promptTarget, resourceTarget, runTarget, type AccessTarget } from './access-policy.js';

const silent = createLogger({ level: 'silent' });

/** The servers the rules below name (rules are checked against the config's servers). */
const servers = 'servers:\n' + ['github', 'fs', 'x', 'vault', 'a', 'b'].map(name => `  ${name}: { command: "true" }\n`).join('');

function policy(rules: string, logger: Logger = silent): AccessPolicy {
  return new AccessPolicy(parseConfig(`${servers}rules:\n${rules}`, { env: {} }).config.rules, logger);
}

const ci: Principal = { name: 'ci', kind: 'key', scopes: ['read'] };
const admin: Principal = { name: 'alice', kind: 'jwt', scopes: ['admin'], claims: { groups: ['ops'] } };
const bob: Principal = { name: 'bob', kind: 'jwt', claims: {} };

function tool(server: string, name: string, annotations?: Record<string, unknown>, args?: Record<string, unknown>): AccessTarget {
  return { kind: 'tool', server, tool: name, ...(annotations ? { annotations } : {}), ...(args ? { arguments: args } : {}) };
}

describe('AccessPolicy: which rule decides', () => {
  it('without rules everything is allowed and the policy is inactive', () => {
    const none = new AccessPolicy([], silent);
    assert.equal(none.active, false);
    assert.equal(none.allows(bob, tool('github', 'github__delete')), true);
    // Runs stay their starter's.
    assert.equal(none.allows(bob, runTarget('bob', 'deploy')), true);
    assert.equal(none.allows(bob, runTarget('ci', 'deploy')), false);
  });

  it('a deny list (no allow rule): what no rule denies is allowed', () => {
    const rules = policy(`
  - deny: 'annotations.destructiveHint && !("admin" in principal.scopes)'
`);
    assert.equal(rules.allows(ci, tool('fs', 'fs__delete', { destructiveHint: true })), false);
    assert.equal(rules.allows(admin, tool('fs', 'fs__delete', { destructiveHint: true })), true);
    assert.equal(rules.allows(ci, tool('fs', 'fs__read', { readOnlyHint: true })), true);
  });

  it('an allow list (any allow rule): what no rule allows is denied', () => {
    const rules = policy(`
  - allow: 'principal.name == "ci" && server == "github"'
`);
    assert.equal(rules.allows(ci, tool('github', 'github__issues')), true);
    assert.equal(rules.allows(ci, tool('fs', 'fs__read')), false);
    assert.equal(rules.allows(bob, tool('github', 'github__issues')), false);
    assert.match(rules.describe(), /^1 rule\(s\), an allow list: what no rule allows is denied/);
    assert.match(policy(`\n  - deny: 'true'\n`).describe(), /a deny list: what no rule denies is allowed/);
  });

  it('the first rule that holds decides: a deny before an allow wins, after it loses', () => {
    const denyFirst = policy(`
  - deny: 'tool == "github__delete_repo"'
  - allow: 'principal.name == "ci"'
`);
    assert.equal(denyFirst.decide(ci, tool('github', 'github__delete_repo')).rule, 0);
    assert.equal(denyFirst.allows(ci, tool('github', 'github__delete_repo')), false);
    assert.equal(denyFirst.allows(ci, tool('github', 'github__issues')), true);
    const allowFirst = policy(`
  - allow: 'principal.name == "ci"'
  - deny: 'tool == "github__delete_repo"'
`);
    assert.equal(allowFirst.allows(ci, tool('github', 'github__delete_repo')), true);
  });

  it('annotations carry the MCP defaults: an unannotated tool is destructive and open-world', () => {
    const rules = policy(`
  - deny: 'annotations.destructiveHint'
`);
    assert.equal(rules.allows(ci, tool('x', 'x__plain')), false);
    assert.equal(rules.allows(ci, tool('x', 'x__reads', { readOnlyHint: true })), true);
    assert.equal(rules.allows(ci, tool('x', 'x__adds', { destructiveHint: false })), true);
    // A prompt or a resource is a read.
    assert.equal(rules.allows(ci, promptTarget({ name: 'x__p', upstream: 'x' })), true);
    assert.equal(rules.allows(ci, resourceTarget('file:///a', 'x')), true);
  });

  it('a workflow, an agent and a router are kinds of their own; prompts and resources too', () => {
    const rules = policy(`
  - deny: 'kind == "workflow" && principal.name == "bob"'
  - deny: 'kind == "resource" && uri.startsWith("secret://")'
  - deny: 'kind == "prompt" && prompt == "x__internal"'
`);
    assert.equal(rules.allows(bob, { kind: 'workflow', server: 'workflows', tool: 'deploy' }), false);
    assert.equal(rules.allows(ci, { kind: 'workflow', server: 'workflows', tool: 'deploy' }), true);
    assert.equal(rules.allows(ci, resourceTarget('secret://k', 'vault')), false);
    assert.equal(rules.allows(ci, resourceTarget('file:///k', 'vault')), true);
    assert.equal(rules.allows(ci, promptTarget({ name: 'x__internal', upstream: 'x' })), false);
  });
});

describe('AccessPolicy: errors fail closed', () => {
  it('a deny that cannot be evaluated denies; an allow that cannot be evaluated does not allow; both are logged once', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', sink: line => lines.push(line) });
    const rules = policy(
      `
  - deny: 'principal.claims.team == "contractors"'
    description: no contractors
  - allow: '"ops" in principal.claims.groups'
  - allow: 'principal.kind == "local"'
`,
      logger
    );
    // bob has no "team" claim: the deny cannot be evaluated, so it denies.
    assert.equal(rules.decide(bob, tool('x', 'x__t')).rule, 0);
    assert.equal(rules.allows(bob, tool('x', 'x__t')), false);
    assert.equal(rules.allows(bob, tool('x', 'x__u')), false);
    // With the claim, the deny does not hold; alice is in ops.
    assert.equal(rules.allows({ ...admin, claims: { team: 'core', groups: ['ops'] } }, tool('x', 'x__t')), true);
    // The allow on a missing "groups" claim does not grant; the next rule decides.
    const noGroups: Principal = { name: 'carol', kind: 'jwt', claims: { team: 'core' } };
    assert.equal(rules.decide(noGroups, tool('x', 'x__t')).rule, undefined);
    assert.equal(rules.allows(noGroups, tool('x', 'x__t')), false);
    assert.equal(rules.allows({ ...localPrincipal, claims: { team: 'core' } }, tool('x', 'x__t')), true);
    const warnings = lines.join('\n');
    assert.equal(warnings.match(/rules\.0\.deny \("no contractors"\) could not be evaluated for principal "bob"/g)?.length, 1, warnings);
    assert.match(warnings, /rules\.1\.allow could not be evaluated for principal "carol": .*not holding/);
  });
});

describe('AccessPolicy: arguments, known at call time only', () => {
  const rules = policy(`
  - deny: 'tool == "fs__write" && arguments.path.startsWith("/etc")'
  - allow: 'principal.name == "ci" && tool == "fs__read" && arguments.path.startsWith("/tmp")'
  - allow: 'principal.name == "ci" && tool == "fs__write"'
`);

  it('a call is decided with its arguments', () => {
    assert.equal(rules.allows(ci, tool('fs', 'fs__write', undefined, { path: '/etc/passwd' })), false);
    assert.equal(rules.allows(ci, tool('fs', 'fs__write', undefined, { path: '/tmp/a' })), true);
    assert.equal(rules.allows(ci, tool('fs', 'fs__read', undefined, { path: '/tmp/a' })), true);
    assert.equal(rules.allows(ci, tool('fs', 'fs__read', undefined, { path: '/home/a' })), false);
    // A missing argument is an evaluation error: the deny holds.
    assert.equal(rules.allows(ci, tool('fs', 'fs__write', undefined, {})), false);
  });

  it('a list is decided without them: listed unless denied whatever the arguments', () => {
    // The deny on fs__write depends on the path: passed over; the third rule lists it.
    assert.equal(rules.allows(ci, tool('fs', 'fs__write')), true);
    // The allow on fs__read may hold for some path: listed.
    assert.equal(rules.allows(ci, tool('fs', 'fs__read')), true);
    // For bob the rest of the allow is false whatever the arguments: not listed.
    assert.equal(rules.allows(bob, tool('fs', 'fs__read')), false);
    assert.equal(rules.allows(bob, tool('fs', 'fs__write')), false);
  });
});

describe('AccessPolicy: runs', () => {
  it('a principal sees its own runs; others only where a rule allows', () => {
    const rules = policy(`
  - allow: 'kind == "run" && "admin" in principal.scopes'
  - deny: 'server == "github"'
`);
    assert.equal(rules.allows(bob, runTarget('bob', 'deploy')), true);
    assert.equal(rules.allows(bob, runTarget('ci', 'deploy')), false);
    assert.equal(rules.allows(admin, runTarget('ci', 'deploy')), true);
    // Without any rule that holds, the owner decides even in a deny list.
    assert.equal(rules.allows(ci, runTarget('ci', 'deploy')), true);
  });

  it('a rule that reads neither kind nor startedBy does not apply to runs: an allow for tools opens no runs', () => {
    const rules = policy(`
  - deny: 'principal.name == "bob"'
  - allow: 'principal.name == "ci"'
  - allow: 'kind == "run" && startedBy == "ci" && principal.name == "auditor"'
`);
    assert.equal(rules.allows(ci, tool('x', 'x__t')), true);
    assert.equal(rules.allows(ci, runTarget('bob', 'deploy')), false);
    assert.equal(rules.allows(bob, runTarget('bob', 'deploy')), true);
    const auditor: Principal = { name: 'auditor', kind: 'key' };
    assert.equal(rules.allows(auditor, runTarget('ci', 'deploy')), true);
    assert.equal(rules.allows(auditor, runTarget('bob', 'deploy')), false);
  });
});

describe('rules in the config', () => {
  const load = (yaml: string) => () => parseConfig(`${servers}${yaml}`, { env: {}, source: 'manifold.yaml' });

  it('an invalid expression is a startup error naming rules.<i>.<allow|deny> and the parser\'s message', () => {
    assert.throws(
      load(`rules:\n  - allow: 'server == "a"'\n  - allow: 'server == "b"'\n  - deny: 'principal.name =='\n`),
      (error: Error) => {
        assert.match(error.message, /rules\.2\.deny: invalid rule expression: Unexpected token: EOF/);
        return true;
      }
    );
  });

  it('an unknown variable, an unknown field of principal, a non-bool result are startup errors', () => {
    assert.throws(load(`rules:\n  - deny: 'user == "x"'\n`), /rules\.0\.deny: invalid rule expression: Unknown variable: user/);
    assert.throws(load(`rules:\n  - deny: 'principal.nmae == "x"'\n`), /rules\.0\.deny: invalid rule expression: No such key: nmae/);
    assert.throws(load(`rules:\n  - allow: 'server'\n`), /rules\.0\.allow: invalid rule expression: the expression yields string, not a bool/);
  });

  it('a server, kind or view the config does not have is a startup error: the rule would never match', () => {
    assert.throws(load(`rules:\n  - deny: 'server == "githb"'\n`), /rules\.0\.deny: server "githb" is not configured, so the rule would never match; servers: "github", .*"workflows"/);
    assert.throws(load(`rules:\n  - deny: 'kind == "tools"'\n`), /rules\.0\.deny: kind "tools" is not a kind, so the rule would never match; kinds: "tool", "workflow"/);
    assert.throws(load(`rules:\n  - allow: 'server in ["fs", "nope"]'\n`), /rules\.0\.allow: server "nope" is not configured/);
    assert.throws(load(`rules:\n  - allow: '"ops" in principal.views'\n`), /rules\.0\.allow: view "ops" is not configured, so the rule would never match; views: "default"/);
    // What exists passes: servers, the gateway's own sources, kinds, declared views.
    const ok = parseConfig(
      `${servers}views: { ops: {} }\nrules:\n  - deny: '"workflows" == server || kind != "run" && "ops" in principal.views && server in ["fs", "x"]'\n`,
      { env: {} }
    );
    assert.equal(ok.config.rules.length, 1);
  });

  it('a rule has exactly one of allow or deny, and no other key', () => {
    assert.throws(load(`rules:\n  - {}\n`), /rules\.0: a rule has exactly one of "allow" or "deny"/);
    assert.throws(load(`rules:\n  - { allow: 'true', deny: 'false' }\n`), /rules\.0: a rule has exactly one of "allow" or "deny"/);
    assert.throws(load(`rules:\n  - { alow: 'true' }\n`), /rules\.0: unknown key "alow"/);
  });

  it('rules are kept in order with their descriptions', () => {
    const { config } = parseConfig(`${servers}rules:\n  - deny: 'server == "a"'\n    description: no a\n  - allow: 'true'\n`, { env: {} });
    assert.deepEqual(config.rules, [{ deny: 'server == "a"', description: 'no a' }, { allow: 'true' }]);
  });
});
