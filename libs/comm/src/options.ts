/**
 * Option types more than one room of libs/comm takes: the gRPC endpoint passes them on to the data
 * plane, which must not import the gRPC room to name them. Neutral: no gRPC, no sockets.
 */

/** Where libs/comm reports what it refused or fell back from; the worker passes its own logger. */
export interface CommLogger {
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** The default logger: stderr, prefixed so comm's lines are told apart from the worker's own. */
export const consoleLogger: CommLogger = {
  warn: (message, fields) => console.warn(`[comm] ${message}`, fields ?? ''),
};

/**
 * Mutual TLS of the collective: the gRPC endpoint's server and channels, and the TCP data plane's
 * `node:tls` connections, all from the same PEMs. (Named for the gRPC endpoint, which takes it.)
 */
export interface GrpcTlsOptions {
  /** PEM of the CA that signed every worker's certificate (peers are verified against it). */
  readonly rootCert: Buffer;
  readonly certChain: Buffer;
  readonly privateKey: Buffer;
  /** Name to check in the right neighbour's certificate when dialling it by IP. */
  readonly serverNameOverride?: string;
}
