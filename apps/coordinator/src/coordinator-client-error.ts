import { status, type ServiceError } from '@grpc/grpc-js';
import { TunefleetError } from '@tunefleet/core';

/** A failed coordinator call: `code` is the gRPC status name (NOT_FOUND, UNAUTHENTICATED, ...). */
export class CoordinatorClientError extends TunefleetError<string> {
  override readonly name: string = 'CoordinatorClientError';
  readonly grpcCode: status;

  constructor(method: string, error: ServiceError) {
    const code = status[error.code] ?? 'UNKNOWN';
    super(code, `${method}: ${code}: ${error.details || error.message}`, { cause: error });
    this.grpcCode = error.code;
  }
}
