// describesUnchanged: the shortcut shared mode's journal takes must never keep a body that redaction would change.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeBody, describesUnchanged, redactText, redactValue, SecretSet } from '../src/core/redact.js';

const secrets = new SecretSet(['cora_org_demo.demo_secret', 'with/slash-secret']);
const JSON_TYPE = 'application/json';

/** What describing `text` gives when it changes nothing: the JSON value, or the text where it is not JSON (null for no text). */
function asIs(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

describe('describesUnchanged', () => {
  it('is false for every body whose description differs from the body (random JSON with secret-like names and values mixed in)', () => {
    const names = fc.oneof(fc.string(), fc.constantFrom('apiKey', 'api_key', 'token', 'clientSecret', 'monkey', 'keyboard', 'name', 'Password', 'passwd', 'x-signature'));
    const strings = fc.oneof(fc.string(), fc.constantFrom('cora_org_demo.demo_secret', 'a with/slash-secret b', 'plain'));
    const values = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, strings, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value')), fc.dictionary(names, tie('value'))),
    })).value;
    let kept = 0;
    fc.assert(
      fc.property(values, (value) => {
        const text = JSON.stringify(value);
        if (!describesUnchanged(text, JSON_TYPE, secrets)) return;
        kept += 1;
        expect(describeBody(text, JSON_TYPE, secrets)).toEqual(asIs(text));
      }),
      { numRuns: 2_000 },
    );
    // The shortcut was taken often enough for the property to say something.
    expect(kept).toBeGreaterThan(200);
  });

  it('keeps ordinary bodies as they are, and refuses credential names, known secrets and escapes that could spell either', () => {
    expect(describesUnchanged('{"accounts":[{"externalId":"A-1","balance":12.5}]}', JSON_TYPE, secrets)).toBe(true);
    expect(describesUnchanged('not json at all', 'text/plain', secrets)).toBe(true);
    for (const text of [
      '{"apiKey":"x"}',
      '{"data":{"client_secret":"x"}}',
      '{"\\u0074oken":"x"}',
      '{"note":"cora_org_demo.demo_secret"}',
      '{"note":"with\\/slash-secret"}',
      'token=abc',
    ]) {
      expect(describesUnchanged(text, JSON_TYPE, secrets), text).toBe(false);
    }
    // A form body is always described (percent-encoding can spell anything).
    expect(describesUnchanged('name=plain', 'application/x-www-form-urlencoded', secrets)).toBe(false);
    // A secret JSON may write escaped cannot be told from its text: no body is kept as it is.
    expect(describesUnchanged('{"note":"plain"}', JSON_TYPE, secrets)).toBe(true);
    expect(describesUnchanged('{"note":"plain"}', JSON_TYPE, new SecretSet(['quote"secret-1']))).toBe(false);
  });

  describe("with a vendor's shown response fields (Propel's key and lookupKey)", () => {
    const shown = new Set(['key', 'lookupKey']);

    it('is false for every body whose description differs from the body, JSON or not', () => {
      const names = fc.oneof(
        fc.string(),
        fc.constantFrom('key', 'lookupKey', 'KEY', 'Key', 'keys', 'lookupKeys', 'lookup_key', 'apiKey', 'token', 'monkey', 'name', 'id'),
      );
      const strings = fc.oneof(fc.string(), fc.constantFrom('cora_org_demo.demo_secret', 'key', '"key":', 'id', 'plain'));
      const values = fc.letrec((tie) => ({
        value: fc.oneof({ depthSize: 'small' }, strings, fc.integer(), fc.constant(null), fc.array(tie('value')), fc.dictionary(names, tie('value'))),
      })).value;
      // Text that is not JSON (a truncated or mislabelled body) is described by redactText: pieces of JSON with names run together.
      const pieces = fc.constantFrom('"key":', '"lookupKey":', 'api', 'Key', 'x', '"', ':', '=', '1', ' ', '{', 'token', 'lookup', '&', 'key=');
      const texts = fc.oneof(
        values.map((v) => JSON.stringify(v)),
        fc.array(pieces, { maxLength: 12 }).map((p) => p.join('')),
      );
      let kept = 0;
      let keptWithShown = 0;
      fc.assert(
        fc.property(texts, (text) => {
          if (!describesUnchanged(text, JSON_TYPE, secrets, shown)) return;
          kept += 1;
          if (/"(?:key|lookupKey)":/.test(text)) keptWithShown += 1;
          expect(describeBody(text, JSON_TYPE, secrets, shown)).toEqual(asIs(text));
        }),
        { numRuns: 4_000 },
      );
      expect(kept).toBeGreaterThan(200);
      expect(keptWithShown).toBeGreaterThan(50);
    });

    it("keeps Propel's bulk answer as it is, and refuses any other spelling of a credential's name", () => {
      const answer = '{"data":[{"action":"create","id":7,"key":7,"lookupKey":"id","success":true}],"messages":["Completed"],"total":1}';
      expect(describesUnchanged(answer, JSON_TYPE, secrets, shown)).toBe(true);
      expect(describeBody(answer, JSON_TYPE, secrets, shown)).toEqual(JSON.parse(answer));
      // Without the shown names, the same answer is described, its fields redacted.
      expect(describesUnchanged(answer, JSON_TYPE, secrets)).toBe(false);
      expect(describeBody(answer, JSON_TYPE, secrets)).toMatchObject({ data: [{ key: '[redacted]', lookupKey: '[redacted]' }] });
      for (const text of ['{"KEY":1}', '{"key" :1}', '{"k\\u0065y":1}', '{"apiKey":1,"key":2}', '{"lookupKeys":[1]}', '{"key":"cora_org_demo.demo_secret"}']) {
        expect(describesUnchanged(text, JSON_TYPE, secrets, shown), text).toBe(false);
      }
      // Shown names are shown wherever a description meets them, and nothing else is.
      expect(describeBody('{"key":1,"KEY":2,"apiKey":3}', JSON_TYPE, secrets, shown)).toEqual({ key: 1, KEY: '[redacted]', apiKey: '[redacted]' });
      expect(redactText('key=1&api_key=2', secrets, shown)).toBe('key=1&api_key=[redacted]');
      expect(redactValue({ key: 'cora_org_demo.demo_secret' }, secrets, shown)).toEqual({ key: '[redacted]' });
    });
  });
});
