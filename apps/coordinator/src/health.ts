import type { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

/** The service name the coordinator answers grpc.health.v1 checks for, besides '' (the whole server). */
export const COORDINATOR_HEALTH_SERVICE = 'tunefleet.v1.Coordinator';

export interface ServerHealth {
  /** Answer SERVING: the server is bound and everything it serves is ready. */
  markServing(): void;
  /** Answer NOT_SERVING: the server is shutting down (probes fail before the port closes). */
  markNotServing(): void;
}

/**
 * Adds grpc.health.v1.Health (Check, Watch) to `server`, NOT_SERVING until `markServing`. It is the
 * one service answered without the bearer token: kubelets' gRPC probes and the images'
 * HEALTHCHECK (deploy/docker/healthcheck.mjs) cannot send one, and a status tells a caller nothing
 * else. Every other method keeps checking the token itself.
 */
export function addHealthService(server: Server, serviceName: string): ServerHealth {
  const health = new HealthImplementation({ '': 'NOT_SERVING', [serviceName]: 'NOT_SERVING' });
  health.addToServer(server);
  const set = (status: 'SERVING' | 'NOT_SERVING') => (): void => {
    health.setStatus('', status);
    health.setStatus(serviceName, status);
  };
  return { markServing: set('SERVING'), markNotServing: set('NOT_SERVING') };
}
