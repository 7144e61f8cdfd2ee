/**
 * Redaction end to end (docs/SECURITY.md "Redaction"): a real SDK client, in both eras, calls a fixture server whose
 * answers carry secrets through a gateway with `redact:` per server. The client sees markers where the server said
 * secrets; the arguments leave redacted or the call is refused (`block`); and whatever the config, the audit rows,
 * the JSON log and the spans never contain a secret.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { markerOf } from '../../src/redaction/index.js';
import { leakySecrets as secrets } from '../fixtures/servers/leaky-secrets.js';
import { fixtureServer } from '../helpers/gateway.js';
import { spanText, startRedactedGateway, textOf } from './helpers.js';

const everySecret = [
  secrets.aws,
  secrets.github,
  secrets.email,
  secrets.card,
  secrets.password,
  secrets.anthropic,
  secrets.slack,
  secrets.connectionPassword,
  secrets.pemBody
];

function assertClean(where: string, text: string): void {
  for (const secret of everySecret)
    assert.ok(!text.includes(secret), `${where} contains ${secret}:\n${text.slice(0, 4000)}`);
}

const config = {
  servers: {
    // Results and arguments redacted.
    leaky: fixtureServer('leaky.ts', [], { redact: ['results', 'arguments'] }),
    // Calls carrying a high-confidence secret refused; nothing else changed.
    guarded: fixtureServer('leaky.ts', [], { redact: 'block' }),
    // The gateway default (security.redact: off): results pass as the server wrote them.
    plain: fixtureServer('leaky.ts')
  }
};

for (const era of ['legacy', 'modern'] as const) {
  describe(`redaction end to end (${era} client)`, () => {
    it('redacts results and arguments per server, blocks secrets in arguments, and keeps audit, log and spans clean', async () => {
      await using gateway = await startRedactedGateway(config);
      const client = await gateway.connect(era);

      // Results: every secret replaced by its marker, in text and in structured content.
      const leaked = await client.callTool({ name: 'leaky__leak', arguments: {} });
      const leakedText = textOf(leaked) + JSON.stringify(leaked.structuredContent);
      assertClean('the redacted result', leakedText);
      for (const rule of ['aws-access-key', 'github-token', 'email', 'card-number', 'private-key', 'secret-field'])
        assert.ok(leakedText.includes(markerOf(rule)), `no ${rule} marker in ${leakedText}`);

      // Arguments: the server received them redacted (it echoes what it got).
      const echoed = await client.callTool({
        name: 'leaky__echo_args',
        arguments: { text: `deploy with ${secrets.aws}`, extra: { password: secrets.password } }
      });
      assert.deepEqual(JSON.parse(textOf(echoed)), {
        text: `deploy with ${markerOf('aws-access-key')}`,
        extra: { password: markerOf('secret-field') }
      });

      // A tool error's text, a protocol error's message and a resource's text.
      const failed = await client.callTool({ name: 'leaky__fail_leak', arguments: {} });
      assert.equal(failed.isError, true);
      assert.match(textOf(failed), /could not call the API with \[REDACTED:anthropic-api-key\]/);
      const thrown = await client.callTool({ name: 'leaky__throw_leak', arguments: {} }).then(
        result => textOf(result),
        (error: Error) => error.message
      );
      assertClean('the error of throw_leak', thrown);
      assert.match(thrown, /Slack refused \[REDACTED:slack-token\]/);
      const resource = await client.readResource({ uri: 'secret://db' });
      const resourceText = JSON.stringify(resource.contents);
      // secret://db is served by the first server that lists it: leaky.
      assert.ok(resourceText.includes(`postgres://app:${markerOf('connection-password')}@db.internal`), resourceText);

      // Block: a private key (or any high-confidence secret) in the arguments refuses the call with a tool error;
      // an email (low confidence) passes unchanged.
      const blocked = await client.callTool({
        name: 'guarded__echo_args',
        arguments: { text: `here is my key\n${secrets.pem}` }
      });
      assert.equal(blocked.isError, true);
      assert.match(textOf(blocked), /carry a secret \(\[REDACTED:private-key\]\).*servers\.guarded\.redact: block/s);
      assertClean('the block refusal', textOf(blocked));
      const allowed = await client.callTool({
        name: 'guarded__echo_args',
        arguments: { text: `mail ${secrets.email}` }
      });
      assert.equal(JSON.parse(textOf(allowed)).text, `mail ${secrets.email}`);

      // A server without redact: its result reaches the client as written (the per-server setting is what redacts).
      const raw = await client.callTool({ name: 'plain__leak', arguments: {} });
      assert.ok(textOf(raw).includes(secrets.aws));

      // A name with a key in it (an unknown tool): refused, and the name is redacted wherever it is written.
      await assert.rejects(client.callTool({ name: `plain__x-${secrets.aws}`, arguments: { note: secrets.email } }));

      // Spans: names, attributes, status messages and exception events.
      const spans = spanText(gateway.spans);
      assert.ok(spans.includes('tools/call leaky__leak'), 'the spans were recorded');
      assertClean('the spans', spans);
      assert.ok(spans.includes(markerOf('aws-access-key')), 'the unknown tool span names the marker');

      // The JSON log: the servers' stderr (which prints keys at start) and every message and field.
      const log = gateway.logLines.join('\n');
      assert.ok(
        log.includes('leaky fixture starting with [REDACTED:aws-access-key]'),
        'the fixture stderr line is logged, redacted'
      );
      assertClean('the log', log);

      // Audit rows (arguments kept): arguments, targets and error texts, of the plain server's calls too.
      const rows = await gateway.auditRows();
      assert.ok(rows.length >= 9, `${rows.length} rows`);
      assertClean('the audit rows', JSON.stringify(rows));
      const unknown = rows.find(row => row.target?.startsWith('plain__x-'));
      assert.equal(unknown?.target, `plain__x-${markerOf('aws-access-key')}`);
      assert.equal(unknown?.arguments, JSON.stringify({ note: markerOf('email') }));
      const blockedRow = rows.find(row => row.target === 'guarded__echo_args' && row.outcome === 'tool_error');
      assert.match(blockedRow?.arguments ?? '', /\[REDACTED:private-key\]/);
    });
  });
}
