/**
 * A redactor that throws fails closed (docs/SECURITY.md "Redaction"): with a rule injected that throws on a
 * trigger word, a call whose arguments hold it is refused (the server never gets them), a result that holds it is
 * replaced by an error, and the log line, audit row and span write the failure marker, never the raw value.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { defaultRules, Redactor, redactionFailedMarker } from '../../src/redaction/index.js';
import { leakySecrets as secrets } from '../fixtures/servers/leaky-secrets.js';
import { fixtureServer } from '../helpers/gateway.js';
import { spanText, startRedactedGateway, textOf } from './helpers.js';

const trigger = 'TRIGGER-REDACTOR-BUG';

/** The default rules plus one that throws on any text with the trigger in it. */
const failing = new Redactor([
  ...defaultRules,
  {
    id: 'buggy',
    confidence: 'low',
    pattern: /TRIGGER-REDACTOR-BUG/g,
    validate: () => {
      throw new Error('the buggy rule threw');
    }
  }
]);

describe('a redactor that throws fails closed', () => {
  it('refuses arguments, withholds results, and writes markers in logs, audit rows and spans', async () => {
    await using gateway = await startRedactedGateway(
      {
        servers: {
          args: fixtureServer('leaky.ts', [], { redact: 'arguments' }),
          results: fixtureServer('leaky.ts', [], { redact: 'results' })
        }
      },
      failing
    );
    const client = await gateway.connect('legacy');

    // Arguments: refused with a tool error that says why; nothing reached the server.
    const refused = await client.callTool({
      name: 'args__echo_args',
      arguments: { text: `${trigger} ${secrets.aws}` }
    });
    assert.equal(refused.isError, true);
    assert.match(
      textOf(refused),
      /redacting the arguments of args__echo_args failed \(the buggy rule threw\); the call is refused rather than sent unredacted \(servers\.args\.redact\)/
    );
    assert.ok(!textOf(refused).includes(secrets.aws));

    // Results: the server echoes the trigger (its arguments are not redacted there); the result is replaced.
    const withheld = await client.callTool({
      name: 'results__echo_args',
      arguments: { text: `${trigger} ${secrets.aws}` }
    });
    assert.equal(withheld.isError, true);
    assert.match(
      textOf(withheld),
      /redacting the result of results__echo_args failed .* the result is withheld rather than passed unredacted \(servers\.results\.redact\)/
    );
    assert.ok(!JSON.stringify(withheld).includes(secrets.aws));

    // Text without the trigger is redacted as usual by the same redactor.
    const leaked = await client.callTool({ name: 'results__leak', arguments: {} });
    assert.ok(!textOf(leaked).includes(secrets.aws) && textOf(leaked).includes('[REDACTED:aws-access-key]'));

    // The log: a line whose message holds the trigger is written as the marker.
    gateway.core.logger.warn(`a message with ${trigger} and ${secrets.aws}`, {
      detail: `${trigger} ${secrets.github}`
    });
    const line = JSON.parse(gateway.logLines.at(-1) as string);
    assert.equal(line.message, redactionFailedMarker);
    assert.equal(line.fields, redactionFailedMarker);

    // A span whose name holds the trigger: its name is the marker.
    await assert.rejects(client.callTool({ name: `nope-${trigger}-${secrets.aws}`, arguments: {} }));
    const spans = spanText(gateway.spans);
    assert.ok(spans.includes(redactionFailedMarker), 'a span carries the marker');
    assert.ok(!spans.includes(trigger) && !spans.includes(secrets.aws));

    // Audit rows: the arguments with the trigger are the marker.
    const rows = await gateway.auditRows();
    const row = rows.find(entry => entry.target === 'args__echo_args');
    assert.equal(row?.arguments, JSON.stringify(redactionFailedMarker));
    assert.equal(rows.find(entry => entry.target === redactionFailedMarker)?.method, 'tools/call');
    assert.ok(!JSON.stringify(rows).includes(secrets.aws) && !JSON.stringify(rows).includes(trigger));
  });
});
