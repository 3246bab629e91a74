import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Server, status, type ChannelCredentials, type ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { errorCode, TunefleetError } from '@tunefleet/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectiveTlsPems, readTlsPems, tlsChannelCredentials, tlsServerCredentials, TlsError, type TlsPems } from './tls-credentials.ts';

let dir: string;
let hasOpenssl = true;

/** A self-signed certificate for 127.0.0.1 (its own CA) and its key; call only when openssl is there. */
function makeCertificate(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

function caught(run: () => unknown): TlsError {
  try {
    run();
  } catch (error) {
    if (error instanceof TlsError) return error;
    throw error;
  }
  throw new Error('expected a TlsError');
}

/** UNIMPLEMENTED means the TLS handshake succeeded (the server has no services); UNAVAILABLE means it failed. */
async function callStatus(address: string, credentials: ChannelCredentials): Promise<status> {
  const client = new Client(address, credentials);
  try {
    return await new Promise<status>((resolve) =>
      client.makeUnaryRequest('/probe.Probe/Call', (value: Buffer) => value, (value: Buffer) => value, Buffer.alloc(0), { deadline: Date.now() + 5_000 },
        (error: ServiceError | null) => resolve(error?.code ?? status.OK)),
    );
  } finally {
    client.close();
  }
}

async function serve(credentials: ServerCredentials): Promise<{ address: string; server: Server }> {
  const server = new Server();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
  return { address: `127.0.0.1:${port}`, server };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tls-credentials-'));
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    hasOpenssl = false;
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readTlsPems', () => {
  it('names a missing file and its role with TLS_INVALID', () => {
    const missing = join(dir, 'absent.key');
    const error = caught(() => readTlsPems({ keyFile: missing }));
    expect(error).toBeInstanceOf(TunefleetError);
    expect(errorCode(error)).toBe('TLS_INVALID');
    expect(error).toMatchObject({ role: 'key', file: missing });
    expect(error.message).toContain(`key file ${missing}`);
    expect(error.message).toContain('ENOENT');
  });

  it('names a garbage file and its role, for each of certificate, key and CA', () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'this is not a PEM file\n');
    for (const [files, role] of [[{ certFile: garbage }, 'certificate'], [{ keyFile: garbage }, 'key'], [{ caFile: garbage }, 'CA']] as const) {
      const error = caught(() => readTlsPems(files));
      expect(error.code).toBe('TLS_INVALID');
      expect(error).toMatchObject({ role, file: garbage });
      expect(error.message).toContain(`TLS ${role} file ${garbage} is not a PEM`);
    }
  });

  it('refuses a key given as the certificate', (context) => {
    if (!hasOpenssl) return context.skip(); // nothing to make a key with
    const { key } = makeCertificate('swapped');
    expect(caught(() => readTlsPems({ certFile: key }))).toMatchObject({ code: 'TLS_INVALID', role: 'certificate', file: key });
  });

  it('reads each given file once into the PEMs every credential is built from', (context) => {
    if (!hasOpenssl) return context.skip();
    const { cert, key } = makeCertificate('reader');
    const pems = readTlsPems({ certFile: cert, keyFile: key, caFile: cert });
    expect(pems.certChain?.equals(readFileSync(cert))).toBe(true);
    expect(pems.privateKey?.equals(readFileSync(key))).toBe(true);
    expect(pems.rootCert?.equals(readFileSync(cert))).toBe(true);
    expect(collectiveTlsPems(pems)).toEqual({ rootCert: pems.rootCert, certChain: pems.certChain, privateKey: pems.privateKey });
    expect(readTlsPems({})).toEqual({ files: {} });
  });
});

describe('credentials from the PEMs', () => {
  it('refuses a key that does not belong to the certificate, naming the files', (context) => {
    if (!hasOpenssl) return context.skip();
    const first = makeCertificate('first');
    const second = makeCertificate('second');
    const pems = readTlsPems({ certFile: first.cert, keyFile: second.key });
    for (const build of [() => tlsServerCredentials(pems), () => tlsChannelCredentials(pems)]) {
      const error = caught(build);
      expect(error.code).toBe('TLS_INVALID');
      expect(error.message).toContain(first.cert);
      expect(error.message).toContain(second.key);
    }
  });

  it('refuses a PEM block whose body is not base64-encoded DER', () => {
    const cert = join(dir, 'bad-body.crt');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n');
    const error = caught(() => readTlsPems({ caFile: cert }));
    expect(error).toMatchObject({ code: 'TLS_INVALID', role: 'CA', file: cert });
  });

  it('names what is missing: a certificate without its key, a collective without its CA', (context) => {
    if (!hasOpenssl) return context.skip();
    const { cert, key } = makeCertificate('partial');
    expect(caught(() => tlsChannelCredentials(readTlsPems({ certFile: cert })))).toMatchObject({ code: 'TLS_INVALID', role: 'certificate', file: cert });
    expect(caught(() => tlsServerCredentials(readTlsPems({ certFile: cert })))).toMatchObject({ code: 'TLS_INVALID', role: 'key' });
    expect(caught(() => collectiveTlsPems(readTlsPems({ certFile: cert, keyFile: key })))).toMatchObject({ code: 'TLS_INVALID', role: 'CA' });
    expect(caught(() => tlsServerCredentials(readTlsPems({ certFile: cert, keyFile: key }), { requireClientCert: true }))).toMatchObject({ role: 'CA' });
  });

  it('serves TLS, and with requireClientCert turns away a client without a certificate', async (context) => {
    if (!hasOpenssl) return context.skip();
    const server = makeCertificate('server');
    const client = makeCertificate('client');
    // One CA file trusted by both sides: the two self-signed certificates, concatenated.
    const ca = join(dir, 'both.crt');
    writeFileSync(ca, Buffer.concat([readFileSync(server.cert), readFileSync(client.cert)]));
    const plain = await serve(tlsServerCredentials(readTlsPems({ certFile: server.cert, keyFile: server.key })));
    const mutual = await serve(tlsServerCredentials(readTlsPems({ certFile: server.cert, keyFile: server.key, caFile: ca }), { requireClientCert: true }));
    try {
      const caOnly: TlsPems = readTlsPems({ caFile: ca });
      expect(await callStatus(plain.address, tlsChannelCredentials(caOnly))).toBe(status.UNIMPLEMENTED);
      expect(await callStatus(mutual.address, tlsChannelCredentials(caOnly))).toBe(status.UNAVAILABLE);
      const withCert = readTlsPems({ caFile: ca, certFile: client.cert, keyFile: client.key });
      expect(await callStatus(mutual.address, tlsChannelCredentials(withCert))).toBe(status.UNIMPLEMENTED);
    } finally {
      plain.server.forceShutdown();
      mutual.server.forceShutdown();
    }
  });
});
