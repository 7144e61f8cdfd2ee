import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ManifoldError } from '../core/errors.js';
import { parseConfig } from './parse-config.js';

function messageOf(text: string): string {
  try {
    parseConfig(text, { source: 'manifold.yaml' });
  } catch (error) {
    assert.ok(error instanceof ManifoldError, `expected ManifoldError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected an error');
}

describe('tracing and log format config', () => {
  it('defaults: tracing off, ratio 1, text logs', () => {
    const { config } = parseConfig('servers: {}\n');
    assert.deepEqual(config.tracing, { exporter: 'none', sampleRatio: 1 });
    assert.equal(config.gateway.logFormat, 'text');
  });
  it('takes an exporter, endpoint, service name and ratio, and gateway.logFormat json', () => {
    const { config } = parseConfig(
      'tracing: { exporter: otlp, endpoint: "http://127.0.0.1:4318/v1/traces", serviceName: gw, sampleRatio: 0.25 }\ngateway: { logFormat: json }\n'
    );
    assert.deepEqual(config.tracing, {
      exporter: 'otlp',
      endpoint: 'http://127.0.0.1:4318/v1/traces',
      serviceName: 'gw',
      sampleRatio: 0.25
    });
    assert.equal(config.gateway.logFormat, 'json');
  });
  it('refuses what it cannot use, naming the path', () => {
    assert.match(messageOf('tracing: { exporter: zipkin }\n'), /tracing\.exporter/);
    assert.match(
      messageOf('tracing: { endpoint: "localhost:4318" }\n'),
      /tracing\.endpoint.*OTLP\/HTTP traces receiver/
    );
    assert.match(messageOf('tracing: { sampleRatio: 2 }\n'), /tracing\.sampleRatio/);
    assert.match(messageOf('tracing: { ratio: 1 }\n'), /tracing.*ratio/);
    assert.match(messageOf('gateway: { logFormat: xml }\n'), /gateway\.logFormat/);
  });
});
