import { describe, expect, it } from 'vitest';
import { runTrain } from '../commands/train.ts';
import { allowedCores, bindCores, parseCpuList } from './worker-processes.ts';

describe('--bind-cores: which cores each local worker gets', () => {
  it('reads the kernel cpulist format', () => {
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('0-3,8,10-11')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(() => parseCpuList('0-3,x')).toThrow(/not a CPU list: "0-3,x" \(at "x"\)/);
  });

  it("takes the allowed cores from this process's /proc status (a container's cpuset)", () => {
    expect(allowedCores('Name:\tnode\nCpus_allowed:\t0c\nCpus_allowed_list:\t2-3\nMems_allowed:\t1\n')).toEqual([2, 3]);
    expect(() => allowedCores('Name:\tnode\n')).toThrow(/needs Linux/);
  });

  it('gives each worker its own cores, in order, --threads of them or an equal share', () => {
    expect(bindCores(2, 1, [0, 1])).toEqual([[0], [1]]);
    expect(bindCores(2, undefined, [4, 5, 6, 7, 8])).toEqual([
      [4, 5],
      [6, 7],
    ]);
    expect(bindCores(3, 2, [0, 1, 2, 3, 4, 5, 6, 7])).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(bindCores(1, undefined, [0, 1])).toEqual([[0, 1]]);
  });

  it('refuses to share a core, naming what was asked and what there is', () => {
    expect(() => bindCores(4, undefined, [0, 1], 'run.yaml')).toThrow('run.yaml: bind_cores (--bind-cores): 4 workers x 1 cores (--threads) need 4 cores; this process may use 2 (0,1)');
    expect(() => bindCores(2, 2, [0, 1, 2])).toThrow(/2 workers x 2 cores \(--threads\) need 4 cores; this process may use 3/);
  });

  it('is refused without --workers (one process has no workers to bind)', async () => {
    await expect(runTrain({ flags: { model: 'm', train_file: 't.tsv', output_dir: 'o', bind_cores: true } })).rejects.toThrow(
      /bind_cores \(--bind-cores\) pins the worker processes of --workers N/,
    );
  });
});
