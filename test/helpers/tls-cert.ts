import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A self-signed certificate for 127.0.0.1 (openssl, valid one day) written into `dir`: `certPath` serves as its own
 * CA (ferry's `--ca-file`), `keyPath` is its private key.
 */
export function selfSignedLoopbackCert(dir: string): { certPath: string; keyPath: string } {
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { certPath, keyPath };
}
