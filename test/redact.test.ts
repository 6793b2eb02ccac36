// describesUnchanged: the shortcut shared mode's journal takes must never keep a body that redaction would change.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeBody, describesUnchanged, SecretSet } from '../src/core/redact.js';

const secrets = new SecretSet(['cora_org_demo.demo_secret', 'with/slash-secret']);
const JSON_TYPE = 'application/json';

/** What describing `text` gives when it changes nothing: the JSON value, or the text where it is not JSON. */
function asIs(text: string): unknown {
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
});
