import selfsigned from 'selfsigned';

export interface CertPair {
  cert_pem: string;
  key_pem: string;
  key_type: string;
}

/**
 * A fresh self-signed certificate for the addresses the harness serves on. ECDSA P-256 — what current
 * servers deploy, and cheap to generate; clients trust exactly this certificate (never verification off).
 */
export async function generateSelfSignedCert(): Promise<CertPair> {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + 7 * 24 * 3600_000);
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'keepalive-bench.local' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'keepalive-bench.local' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '198.18.0.2' },
        ],
      },
    ],
  });
  return { cert_pem: pems.cert, key_pem: pems.private, key_type: 'ecdsa-p256' };
}

/** Name the client verifies the certificate against. */
export const CERT_SERVERNAME = 'keepalive-bench.local';
