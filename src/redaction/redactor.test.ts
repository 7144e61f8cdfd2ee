import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { defaultRules, luhnValid, markerOf, type RedactionRule } from './redaction-rules.js';
import { defaultRedactor, Redactor, redactionFailedMarker, safeRedactText, safeRedactValue } from './redactor.js';

// Fake secrets, built so that no scanner mistakes this file for a leak.
const aws = 'AKIA' + 'IOSFODNN7EXAMPLE';
const awsSession = 'ASIA' + 'Y34FZKBOKMUTVV7A';
const ghp = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const gho = 'gho_' + '16C7e42F292c6912E7710c838347Ae178B4a';
const githubPat = 'github_pat_' + '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU';
const glpat = 'glpat-' + 'xYz12AbC3dEf45GhIj6k';
const openai = 'sk-' + 'T3BlbkFJabc123DEF456ghi789JKL012mno345PQR678stu9';
const openaiProject = 'sk-proj-' + 'Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56_-Qr78';
const anthropic = 'sk-ant-' + 'api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-AbCdEf';
const slack = 'xoxb-' + '123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const slackUser = 'xoxp-' + '2222222222-3333333333-4444444444-abcdef0123456789';
const pem = [
  '-----BEGIN RSA ' + 'PRIVATE KEY-----',
  'MIIEpAIBAAKCAQEA1234567890abcdefghijklmnopqrstuvwxyzABCDEFGH',
  'IJKLMNOPQRSTUVWXYZ+/0987654321==',
  '-----END RSA PRIVATE KEY-----'
].join('\n');
const openssh = [
  '-----BEGIN OPENSSH ' + 'PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  '-----END OPENSSH PRIVATE KEY-----'
].join('\n');
const jwt =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9' +
  '.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

interface Case {
  rule: string;
  /** Texts in which the rule must find `secret` (the secret is replaced by the rule's marker, the rest kept). */
  positive: { text: string; secret: string }[];
  /** Near misses: texts that no rule may change. */
  negative: string[];
}

const cases: Case[] = [
  {
    rule: 'aws-access-key',
    positive: [
      { text: `aws_access_key_id = ${aws}`, secret: aws },
      { text: `"${awsSession}"`, secret: awsSession }
    ],
    negative: ['AKIA is a prefix', 'AKIAIOSFODNN7EXAMPL', 'XAKIAIOSFODNN7EXAMPLEX', 'akiaiosfodnn7example']
  },
  {
    rule: 'github-token',
    positive: [
      { text: `token ${ghp} here`, secret: ghp },
      { text: `Authorization: ${gho}`, secret: gho },
      { text: `GH=${githubPat}`, secret: githubPat }
    ],
    negative: ['ghp_short', 'use the ghp_ prefix for personal tokens', 'github_pat_ is the fine-grained prefix']
  },
  {
    rule: 'gitlab-token',
    positive: [{ text: `PRIVATE-TOKEN: ${glpat}`, secret: glpat }],
    negative: ['glpat-short', 'GitLab tokens start with glpat-']
  },
  {
    rule: 'openai-api-key',
    positive: [
      { text: `OPENAI_API_KEY=${openai}`, secret: openai },
      { text: `key: ${openaiProject}`, secret: openaiProject }
    ],
    negative: [
      'we use sk-learn and scikit-learn for this',
      'a risk-free sk-based approach',
      'sk-this-is-only-words-and-more-words',
      'the task-12345678901234567890 id'
    ]
  },
  {
    rule: 'anthropic-api-key',
    positive: [{ text: `x-api-key: ${anthropic}`, secret: anthropic }],
    negative: ['keys begin sk-ant- then a version', 'sk-ant-short']
  },
  {
    rule: 'slack-token',
    positive: [
      { text: `SLACK_BOT_TOKEN=${slack}`, secret: slack },
      { text: slackUser, secret: slackUser }
    ],
    negative: ['xoxb- tokens are bot tokens', 'xoxo-hugs-and-kisses-forever']
  },
  {
    rule: 'private-key',
    positive: [
      { text: `key:\n${pem}\nend`, secret: pem },
      { text: openssh, secret: openssh },
      // Cut off before its END line: the rest of the key block goes.
      { text: pem.split('\n').slice(0, 2).join('\n'), secret: pem.split('\n').slice(0, 2).join('\n') }
    ],
    negative: [
      '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
      'the PRIVATE KEY file must be kept safe',
      '-----BEGIN CERTIFICATE-----'
    ]
  },
  {
    rule: 'jwt',
    positive: [
      { text: `Bearer ${jwt}`, secret: jwt },
      { text: `"id_token_like": "${jwt}"`, secret: jwt }
    ],
    negative: ['eyJ is base64 for {"', 'eyJhbGciOiJIUzI1NiJ9 alone is a header', 'file.eyJ.txt']
  },
  {
    rule: 'connection-password',
    positive: [
      { text: 'DATABASE_URL=postgres://app:s3cr3t-Pass@db.internal:5432/app', secret: 's3cr3t-Pass' },
      { text: 'mongodb+srv://admin:hunter2@cluster0.example.net/test', secret: 'hunter2' },
      { text: 'redis://default:p%40ss@cache:6379', secret: 'p%40ss' }
    ],
    negative: [
      'postgres://app@db.internal:5432/app',
      'https://example.com:8443/path',
      'see http://host:80/a@b',
      'git@github.com:org/repo.git'
    ]
  },
  {
    rule: 'card-number',
    positive: [
      { text: 'card 4111 1111 1111 1111 exp 12/29', secret: '4111 1111 1111 1111' },
      { text: 'pan=5555555555554444;', secret: '5555555555554444' },
      { text: 'amex 3782-822463-10005', secret: '3782-822463-10005' }
    ],
    negative: [
      'order 4111111111111112',
      'timestamp 1733580000000000',
      'id 1234567812345678',
      'phone +1 555 123 4567',
      'pi 3.14159265358979323',
      '4111111111111111111111',
      'numbers 4111 1111-1111 1111'
    ]
  },
  {
    rule: 'email',
    positive: [
      { text: 'contact alice.smith+mcp@example.co.uk now', secret: 'alice.smith+mcp@example.co.uk' },
      { text: '"email":"bob@corp.example"', secret: 'bob@corp.example' }
    ],
    negative: ['@mention in chat', 'npm i @modelcontextprotocol/server', 'user@localhost', 'a@b']
  },
  {
    rule: 'high-entropy',
    positive: [
      { text: 'secret: "Zq8Lr2XvP9mW4kT7bN1cJ6hF3dS5gA0e"', secret: 'Zq8Lr2XvP9mW4kT7bN1cJ6hF3dS5gA0e' },
      { text: 'token=KKCiiAOvZsNzrwMp9l75oUnT', secret: 'KKCiiAOvZsNzrwMp9l75oUnT' },
      { text: 'value JmgQQKxFSAFY8KvwgFBeu4qmMZVFG3Blsip20Oeq end', secret: 'JmgQQKxFSAFY8KvwgFBeu4qmMZVFG3Blsip20Oeq' }
    ],
    negative: [
      'commit 0eaf4ea6c99b8f9d2b97787eb0533e04ce657abd',
      'commit 0EAF4EA6C99B8F9D2B97787EB0533E04CE657ABD',
      'id 79528883-0ef3-426f-a6a3-5ff64dc2106e',
      'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'getElementByIdForTheUserName2 and ThisIsAVeryLongIdentifierName123',
      'src/redaction/redaction-rules.ts/Redactor2',
      'token=short1Ab',
      'The quick brown fox jumps over the lazy dog 1234567890 times'
    ]
  }
];

describe('redaction rules', () => {
  for (const { rule, positive, negative } of cases) {
    it(`${rule}: finds its secrets and names them`, () => {
      for (const { text, secret } of positive) {
        const out = defaultRedactor.redactText(text);
        assert.equal(out, text.replace(secret, markerOf(rule)), `in ${JSON.stringify(text)}`);
      }
    });
    it(`${rule}: leaves near misses alone`, () => {
      for (const text of negative)
        assert.equal(defaultRedactor.redactText(text), text, `changed ${JSON.stringify(text)}`);
    });
  }

  it('has a table case for every default rule', () => {
    assert.deepEqual(defaultRules.map(rule => rule.id).sort(), cases.map(entry => entry.rule).sort());
  });

  it('leaves a base64 image of any size alone (as text and as image content)', () => {
    const bytes = Buffer.alloc(3000);
    for (let index = 0; index < bytes.length; index++) bytes[index] = (index * 7919 + 13) % 251;
    for (const size of [48, 96, 150, 600, 3000]) {
      const data = bytes.subarray(0, size).toString('base64');
      assert.equal(
        defaultRedactor.redactText(data),
        data.length <= 200 && data.length >= 32 ? defaultRedactor.redactText(data) : data
      );
      const content = { content: [{ type: 'image', data, mimeType: 'image/png' }] };
      assert.equal(defaultRedactor.redactValue(content), content);
      assert.equal(defaultRedactor.redactText(`data:image/png;base64,${data}`), `data:image/png;base64,${data}`);
    }
  });

  it('Luhn: known numbers pass, one digit off fails', () => {
    assert.ok(luhnValid('4111111111111111'));
    assert.ok(luhnValid('79927398713'));
    assert.ok(!luhnValid('4111111111111112'));
  });
});

describe('Redactor over JSON values', () => {
  it('redacts strings at any depth, keeps keys, shares what did not change', () => {
    const untouched = { list: [1, 'plain'] };
    const value = { outer: { [`k ${aws}`]: `v ${aws}`, items: [`x ${ghp}`, 3, null, true] }, untouched };
    const out = defaultRedactor.redactValue(value);
    assert.deepEqual(out, {
      outer: { [`k ${aws}`]: 'v [REDACTED:aws-access-key]', items: ['x [REDACTED:github-token]', 3, null, true] },
      untouched
    });
    assert.equal(out.untouched, untouched, 'unchanged branches are not copied');
    assert.equal(value.outer.items[0], `x ${ghp}`, 'the input is not mutated');
  });

  it('redacts a secret-named member whatever its value looks like', () => {
    assert.deepEqual(
      defaultRedactor.redactValue({ password: 'hunter2', apiKey: 'x', note: 'hunter2', count: 3, token: '' }),
      {
        password: markerOf('secret-field'),
        apiKey: markerOf('secret-field'),
        note: 'hunter2',
        count: 3,
        token: ''
      }
    );
  });

  it('lists the high-confidence rules a value carries (block mode), not the low ones', () => {
    assert.deepEqual(
      defaultRedactor.findHighConfidence({ a: [{ b: `key ${pem}` }], c: 'bob@example.com 4111111111111111' }),
      ['private-key']
    );
    assert.deepEqual(defaultRedactor.findHighConfidence({ c: 'bob@example.com', d: 'sk-learn' }), []);
  });

  it('fails closed: a rule that throws makes the redactor throw, and the safe helpers write the marker', () => {
    const failing: RedactionRule = {
      id: 'boom',
      confidence: 'high',
      pattern: /x/g,
      validate: () => {
        throw new Error('rule bug');
      }
    };
    const redactor = new Redactor([...defaultRules, failing]);
    assert.throws(() => redactor.redactText('x marks the spot'), /rule bug/);
    assert.throws(() => redactor.redactValue({ a: 'x' }), /rule bug/);
    assert.equal(safeRedactText(`x ${aws}`, redactor), redactionFailedMarker);
    assert.equal(safeRedactValue({ a: `x ${aws}` }, redactor), redactionFailedMarker);
    // Text the failing rule does not reach is redacted as usual.
    assert.equal(
      safeRedactText(`no ex here ${aws}`.replace(/x/g, ''), redactor),
      'no e here [REDACTED:aws-access-key]'
    );
  });

  it('refuses a rule without the g flag', () => {
    assert.throws(() => new Redactor([{ id: 'a', confidence: 'low', pattern: /a/ }]), /g flag/);
  });
});
