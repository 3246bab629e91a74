import type { RegisterRequest } from '@tunefleet/proto';
import { CoordinatorError } from './coordinator-error.ts';

export interface WorkerRecord {
  readonly workerId: string;
  readonly collectiveAddress: string;
  readonly cpuCount: number;
  readonly memoryBytes: number;
  readonly backend: string;
  lastSeenMs: number;
  /** The job this worker is a rank of; undefined while idle. */
  jobId?: string;
}

/**
 * Registered workers, in registration order (the order gangs are formed in). Registering twice is
 * idempotent for the same worker id and collective address; a different address under a known id,
 * or a known address under a different id, is a WORKER_CONFLICT (gRPC ALREADY_EXISTS).
 */
export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerRecord>();

  register(request: RegisterRequest, nowMs: number): WorkerRecord {
    const workerId = request.workerId.trim();
    const address = request.collectiveAddress.trim();
    const bad: string[] = [];
    if (workerId === '') bad.push('worker_id must not be empty');
    if (!/^[^\s:]+:\d{1,5}$/.test(address) && !/^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(address)) {
      bad.push(`collective_address must be host:port, got ${JSON.stringify(request.collectiveAddress)}`);
    }
    if (bad.length > 0) throw new CoordinatorError('REQUEST_INVALID', `Register: ${bad.join('; ')}.`);
    const existing = this.workers.get(workerId);
    if (existing !== undefined) {
      if (existing.collectiveAddress !== address) {
        throw new CoordinatorError(
          'WORKER_CONFLICT',
          `worker ${workerId} is already registered with collective address ${existing.collectiveAddress}, not ${address}; ` +
            'give each worker process a unique id (hostname + pid).',
        );
      }
      existing.lastSeenMs = nowMs;
      return existing;
    }
    for (const other of this.workers.values()) {
      if (other.collectiveAddress === address) {
        throw new CoordinatorError(
          'WORKER_CONFLICT',
          `collective address ${address} is already registered by worker ${other.workerId}; each worker needs its own port.`,
        );
      }
    }
    return this.add({ workerId, collectiveAddress: address, cpuCount: request.cpuCount, memoryBytes: request.memoryBytes, backend: request.backend, lastSeenMs: nowMs });
  }

  add(record: WorkerRecord): WorkerRecord {
    this.workers.set(record.workerId, record);
    return record;
  }

  get(workerId: string): WorkerRecord | undefined {
    return this.workers.get(workerId);
  }

  /** The worker, or WORKER_NOT_FOUND telling it to register (again, after a coordinator restart). */
  require(workerId: string, method: string): WorkerRecord {
    const worker = this.workers.get(workerId);
    if (worker === undefined) {
      throw new CoordinatorError(
        'WORKER_NOT_FOUND',
        `${method}: worker ${JSON.stringify(workerId)} is not registered (it was declared lost or the coordinator restarted); call Register again.`,
      );
    }
    return worker;
  }

  remove(workerId: string): void {
    this.workers.delete(workerId);
  }

  idle(): WorkerRecord[] {
    return [...this.workers.values()].filter((worker) => worker.jobId === undefined);
  }

  all(): WorkerRecord[] {
    return [...this.workers.values()];
  }
}
