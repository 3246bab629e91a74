import type { RegisterRequest } from '@tunefleet/proto';
import { CoordinatorError } from './coordinator-error.ts';

export interface WorkerRecord {
  readonly workerId: string;
  /** Changes when a worker re-listens to join a re-formed ring (a ring's endpoint is used once). */
  collectiveAddress: string;
  readonly cpuCount: number;
  readonly memoryBytes: number;
  readonly backend: string;
  lastSeenMs: number;
  /** The job this worker is a rank of, or is held for while that job's ring re-forms; undefined while idle. */
  jobId?: string;
  /** The job this worker last took part in (its heartbeat replies carry that job's state). */
  lastJobId?: string;
}

/**
 * Registered workers, in registration order (the order gangs are formed in). Registering twice is
 * idempotent for the same worker id and collective address; a different address under a known id,
 * or a known address under a different id, is a WORKER_CONFLICT (gRPC ALREADY_EXISTS).
 */
export class WorkerRegistry {
  private readonly workers = new Map<string, WorkerRecord>();

  /**
   * `canMove`: whether this worker may change its collective address (it is in no running ring);
   * a worker that left a ring to join its re-formation listens on a new port.
   */
  register(request: RegisterRequest, nowMs: number, canMove: (workerId: string) => boolean = () => false): WorkerRecord {
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
      if (existing.collectiveAddress !== address && canMove(workerId) && this.ownerOf(address, workerId) === undefined) {
        existing.collectiveAddress = address;
      }
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
    const other = this.ownerOf(address, workerId);
    if (other !== undefined) {
      throw new CoordinatorError('WORKER_CONFLICT', `collective address ${address} is already registered by worker ${other.workerId}; each worker needs its own port.`);
    }
    return this.add({ workerId, collectiveAddress: address, cpuCount: request.cpuCount, memoryBytes: request.memoryBytes, backend: request.backend, lastSeenMs: nowMs });
  }

  private ownerOf(address: string, exceptId: string): WorkerRecord | undefined {
    for (const other of this.workers.values()) if (other.collectiveAddress === address && other.workerId !== exceptId) return other;
    return undefined;
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

  /**
   * Idle workers heard from within `freshMs` (an idle worker polls every 250 ms), in registration
   * order: one that went quiet may have exited, and a gang formed on it would fail.
   */
  idle(nowMs: number, freshMs: number): WorkerRecord[] {
    return [...this.workers.values()].filter((worker) => worker.jobId === undefined && nowMs - worker.lastSeenMs <= freshMs);
  }

  all(): WorkerRecord[] {
    return [...this.workers.values()];
  }
}
