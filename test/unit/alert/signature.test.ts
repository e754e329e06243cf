import { createHmac } from 'node:crypto';
import { signBody, verifySignature } from '../../../src/alert/signature';

describe('signBody', () => {
  const secret = 's3cr3t';

  it('is sha256=<hex HMAC-SHA256> of the exact bytes, as any receiver computes it', () => {
    const body = Buffer.from('{"id":"a1","title":"Kubernetes newly seen TCP edge in kubernetes cluster prod-eu"}');
    const expected = createHmac('sha256', secret).update(body).digest('hex');
    expect(signBody(body, secret)).toBe(`sha256=${expected}`);
    expect(signBody(body, secret)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('signs a string as its UTF-8 bytes', () => {
    const text = '{"cluster":"prod-é","w":"ü"}';
    expect(signBody(text, secret)).toBe(signBody(Buffer.from(text, 'utf8'), secret));
  });

  it('matches a published HMAC-SHA256 test vector (RFC 4231 case 2)', () => {
    expect(signBody('what do ya want for nothing?', 'Jefe')).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('changes with any byte of the body, even whitespace a re-serialisation would drop', () => {
    expect(signBody('{"a":1}', secret)).not.toBe(signBody('{"a": 1}', secret));
  });

  it('verifies only the right body and secret', () => {
    const body = '{"id":"x"}';
    const header = signBody(body, secret);
    expect(verifySignature(body, secret, header)).toBe(true);
    expect(verifySignature('{"id":"y"}', secret, header)).toBe(false);
    expect(verifySignature(body, 'other', header)).toBe(false);
    expect(verifySignature(body, secret, undefined)).toBe(false);
    expect(verifySignature(body, secret, 'sha256=00')).toBe(false);
  });
});
