import { createHmac } from 'node:crypto';

/**
 * Per-pair keys of a ring. The coordinator draws a fresh secret for every job and hands each rank
 * only the two keys it needs: the one it sends with (to its right neighbour) and the one it
 * receives with (from its left neighbour). A process that holds the cluster token, or is another
 * rank of the job, cannot derive the key of a pair it is not part of, so it cannot pass a
 * data-plane HELLO or MAC a frame as the assigned left neighbour.
 */
export const PAIR_KEY_BYTES = 32;

/** The key with which rank `senderRank` sends to `receiverRank` in ring generation `ringGeneration` of `jobId`. */
export function derivePairKey(secret: Uint8Array | string, jobId: string, senderRank: number, receiverRank: number, ringGeneration = 0): Buffer {
  return createHmac('sha256', secret).update(`tunefleet pair key v1\0${jobId}\0${ringGeneration}\0${senderRank}\0${receiverRank}`).digest();
}

/** The two keys of `rank` in a ring of `worldSize` (what the coordinator puts in an assignment). */
export function ringKeysOf(
  secret: Uint8Array,
  jobId: string,
  rank: number,
  worldSize: number,
  ringGeneration: number,
): { readonly sendKey: Buffer; readonly receiveKey: Buffer } {
  const right = (rank + 1) % worldSize;
  const left = (rank - 1 + worldSize) % worldSize;
  return {
    sendKey: derivePairKey(secret, jobId, rank, right, ringGeneration),
    receiveKey: derivePairKey(secret, jobId, left, rank, ringGeneration),
  };
}
