import * as grpc from '@grpc/grpc-js';

/**
 * How a rank learns where its right neighbour's data plane listens, over the gRPC endpoint it
 * already knows (so the coordinator and `join` stay as they are): a unary call, authenticated like
 * Collective.Exchange with the bearer token, answered with the data plane's TCP port (0: this
 * endpoint has none; send over gRPC). Hand-written JSON codec: a control message of a few bytes,
 * served beside the generated Collective service. A peer without it answers UNIMPLEMENTED, which
 * also means "use gRPC".
 */
export interface DataPlaneOffer {
  /** TCP port on the host the caller dialled; 0 when the endpoint has no data plane. */
  readonly port: number;
  readonly version: number;
  readonly isTls: boolean;
}

const toJson = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const fromJson = (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8'));

export const DATA_PLANE_OFFER_PATH = '/tunefleet.comm.v1.DataPlane/Offer';

export const dataPlaneServiceDefinition = {
  offer: {
    path: DATA_PLANE_OFFER_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: toJson,
    requestDeserialize: fromJson,
    responseSerialize: toJson,
    responseDeserialize: fromJson,
  },
} as const;

export type OfferCall = grpc.ServerUnaryCall<unknown, DataPlaneOffer>;
export type OfferCallback = grpc.sendUnaryData<DataPlaneOffer>;

function isOffer(value: unknown): value is DataPlaneOffer {
  const v = value as Partial<DataPlaneOffer> | null;
  return typeof v === 'object' && v !== null && Number.isInteger(v.port) && v.port! >= 0 && v.port! < 65536 && typeof v.isTls === 'boolean';
}

/** Asks the endpoint at `client`'s address for its data-plane port; rejects with the grpc ServiceError. */
export function requestOffer(client: grpc.Client, token: string, deadlineMs: number): Promise<DataPlaneOffer> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest<unknown, unknown>(
      DATA_PLANE_OFFER_PATH,
      toJson,
      fromJson,
      {},
      metadata,
      { deadline: Date.now() + deadlineMs },
      (error, value) => {
        if (error) reject(error);
        else if (!isOffer(value)) reject(Object.assign(new Error(`malformed data-plane offer ${JSON.stringify(value)}`), { code: grpc.status.INTERNAL, details: 'malformed offer' }));
        else resolve(value);
      },
    );
  });
}
