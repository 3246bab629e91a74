import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { TunefleetError } from '@tunefleet/core';

/** Which part of a TLS setup a PEM file plays; named in every TlsError. */
export type TlsRole = 'certificate' | 'key' | 'CA';

/** A TLS file that cannot be read or is not the PEM its role needs. */
export class TlsError extends TunefleetError<'TLS_INVALID'> {
  override readonly name: string = 'TlsError';

  constructor(
    readonly role: TlsRole,
    /** The file at fault; several files joined by ", " when only their combination is wrong. */
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('TLS_INVALID', message, options);
  }
}

/** Paths of the PEM files of one TLS setup; each is optional, the use decides which it needs. */
export interface TlsFilePaths {
  /** This side's certificate chain (a server's, or a client's for mutual TLS). */
  readonly certFile?: string;
  /** The private key of `certFile`. */
  readonly keyFile?: string;
  /** CA that signed the other side's certificate. */
  readonly caFile?: string;
}

/** The PEM bytes of one TLS setup, read once and shared by every credential built from them. */
export interface TlsPems {
  readonly files: TlsFilePaths;
  readonly certChain?: Buffer;
  readonly privateKey?: Buffer;
  readonly rootCert?: Buffer;
}

/** The raw form the collective endpoint (gRPC server, peer channels, TCP data plane) takes. */
export interface CollectiveTlsPems {
  readonly rootCert: Buffer;
  readonly certChain: Buffer;
  readonly privateKey: Buffer;
}

const NOT_GIVEN = '(not given)';

// What each role's PEM must hold; a key may be PKCS#8 (`PRIVATE KEY`), `RSA`, `EC` or encrypted.
const PEM_BLOCKS: Record<TlsRole, { pattern: RegExp; expected: string }> = {
  certificate: { pattern: /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g, expected: '-----BEGIN CERTIFICATE-----' },
  CA: { pattern: /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g, expected: '-----BEGIN CERTIFICATE-----' },
  key: { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END [A-Z ]*PRIVATE KEY-----/g, expected: '-----BEGIN ... PRIVATE KEY-----' },
};
// The first byte of DER's SEQUENCE, which every certificate and key starts with.
const DER_SEQUENCE = 0x30;

/** Reads every given file once; a missing, unreadable or non-PEM file throws a TlsError naming it and its role. */
export function readTlsPems(files: TlsFilePaths): TlsPems {
  return {
    files,
    ...(files.certFile === undefined ? {} : { certChain: readPem(files.certFile, 'certificate') }),
    ...(files.keyFile === undefined ? {} : { privateKey: readPem(files.keyFile, 'key') }),
    ...(files.caFile === undefined ? {} : { rootCert: readPem(files.caFile, 'CA') }),
  };
}

/**
 * Server credentials from a certificate and key; with `requireClientCert`, clients must present a
 * certificate signed by the CA (mutual TLS). The certificate, key and CA are parsed here, so a
 * mismatched pair fails at start as TLS_INVALID rather than later, at bind or at the first client.
 */
export function tlsServerCredentials(pems: TlsPems, options: { requireClientCert?: boolean } = {}): ServerCredentials {
  const certChain = required(pems, 'certificate');
  const privateKey = required(pems, 'key');
  const requireClientCert = options.requireClientCert ?? false;
  const rootCert = requireClientCert ? required(pems, 'CA') : (pems.rootCert ?? null);
  // grpc-js builds the server's TLS context only at bind; a client context over the same PEMs
  // parses them now (and checks that the key belongs to the certificate).
  tlsChannelCredentials(pems);
  return ServerCredentials.createSsl(rootCert, [{ cert_chain: certChain, private_key: privateKey }], requireClientCert);
}

/** Channel credentials: the CA (omitted: the system roots) and, for mutual TLS, this side's certificate and key. */
export function tlsChannelCredentials(pems: TlsPems): ChannelCredentials {
  if ((pems.certChain === undefined) !== (pems.privateKey === undefined)) {
    const [givenRole, missingRole]: [TlsRole, TlsRole] = pems.certChain === undefined ? ['key', 'certificate'] : ['certificate', 'key'];
    const given = (givenRole === 'key' ? pems.files.keyFile : pems.files.certFile) ?? NOT_GIVEN;
    throw new TlsError(givenRole, given, `TLS ${givenRole} file ${given} was given without a ${missingRole} file; give both or neither.`);
  }
  try {
    return credentials.createSsl(pems.rootCert ?? null, pems.privateKey ?? null, pems.certChain ?? null);
  } catch (error) {
    const given = [pems.files.certFile, pems.files.keyFile, pems.files.caFile].filter((file) => file !== undefined).join(', ');
    const role: TlsRole = pems.certChain === undefined ? 'CA' : 'certificate';
    throw new TlsError(role, given, `TLS files ${given} do not form a usable TLS setup: ${(error as Error).message}; check that the key belongs to the certificate.`, { cause: error });
  }
}

/** The certificate, key and CA the collective endpoint needs, all three: ranks authenticate each other. */
export function collectiveTlsPems(pems: TlsPems): CollectiveTlsPems {
  const collective = { rootCert: required(pems, 'CA'), certChain: required(pems, 'certificate'), privateKey: required(pems, 'key') };
  tlsChannelCredentials(pems); // parses the three now, so a bad pair fails the start, not the first ring
  return collective;
}

function readPem(file: string, role: TlsRole): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new TlsError(role, file, `cannot read TLS ${role} file ${file}: ${(error as Error).message}`, { cause: error });
  }
  const problem = pemProblem(bytes.toString('latin1'), role);
  if (problem !== undefined) {
    throw new TlsError(role, file, `TLS ${role} file ${file} is not a PEM ${role === 'key' ? 'private key' : 'certificate'}: ${problem}; give the PEM file, not DER or another file.`);
  }
  return bytes;
}

/**
 * Why `text` is not a PEM of `role`, or undefined. Checked here because OpenSSL silently skips a CA
 * certificate it cannot parse, and grpc-js parses a server's certificate only when it binds.
 */
function pemProblem(text: string, role: TlsRole): string | undefined {
  const { pattern, expected } = PEM_BLOCKS[role];
  const blocks = [...text.matchAll(pattern)].map((match) => match[1] ?? '');
  if (blocks.length === 0) return `expected a "${expected}" block`;
  for (const [index, body] of blocks.entries()) {
    if (body.includes(':')) continue; // an encrypted key's headers (Proc-Type, DEK-Info): OpenSSL decides
    const isBase64 = /^[A-Za-z0-9+/=\s]+$/.test(body);
    if (!isBase64 || Buffer.from(body, 'base64')[0] !== DER_SEQUENCE) return `block ${index + 1} is not base64-encoded DER`;
  }
  return undefined;
}

function required(pems: TlsPems, role: TlsRole): Buffer {
  const bytes = role === 'certificate' ? pems.certChain : role === 'key' ? pems.privateKey : pems.rootCert;
  if (bytes === undefined) throw new TlsError(role, NOT_GIVEN, `TLS needs a ${role} file here, and none was given.`);
  return bytes;
}
