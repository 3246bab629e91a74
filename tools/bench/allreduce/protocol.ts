// Messages between bench-allreduce.ts (parent) and its rank / TCP-sink child processes.
import type { WireDtype } from '@tunefleet/comm';

export type ToRank =
  | { readonly kind: 'join'; readonly rank: number; readonly worldSize: number; readonly rightAddress: string }
  | {
      readonly kind: 'run';
      readonly bytes: number;
      readonly iterations: number;
      readonly dtype: WireDtype;
      readonly chunkBytes: number;
      /** Fraction of the buffer set to +0 (two runs either side of the middle), as in an embedding gradient. */
      readonly zeroFraction: number;
    }
  | { readonly kind: 'exit' };

export type FromRank =
  | { readonly kind: 'listening'; readonly address: string }
  | { readonly kind: 'joined' }
  | { readonly kind: 'result'; readonly rank: number; readonly millis: readonly number[]; readonly isCorrect: boolean }
  | { readonly kind: 'error'; readonly message: string };

export const BENCH_TOKEN = 'bench-token-not-a-secret-0123456789';
