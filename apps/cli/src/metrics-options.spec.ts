import { describe, expect, it } from 'vitest';
import { workerMetricsPort } from './cluster/worker-processes.ts';
import { parseMetricsOptions, TrainProcessSchema } from './process-options.ts';
import { trainFlagValues, trainSchemaOptions } from './train-flags.ts';

describe('--metrics-port / --metrics-host', () => {
  it('are train flags generated from the schema, loopback by default', () => {
    const flags = trainSchemaOptions().map((option) => option.long);
    expect(flags).toContain('--metrics-port');
    expect(flags).toContain('--metrics-host');
    expect(trainFlagValues({ metricsPort: 9464, metricsHost: '0.0.0.0' })).toMatchObject({ metrics_port: 9464, metrics_host: '0.0.0.0' });
    const parsed = TrainProcessSchema.parse({});
    expect(parsed.metrics_port).toBeUndefined();
    expect(parsed.metrics_host).toBe('127.0.0.1');
  });

  it('parse for coordinator and worker, and a bad port names the field and the flag', () => {
    expect(parseMetricsOptions({ metricsPort: 9464 }, 'worker flags')).toEqual({ metrics_port: 9464, metrics_host: '127.0.0.1' });
    expect(parseMetricsOptions({}, 'worker flags')).toEqual({ metrics_host: '127.0.0.1' });
    expect(() => parseMetricsOptions({ metricsPort: 70000 }, 'worker flags')).toThrow(/metrics_port.*--metrics-port|--metrics-port.*metrics_port/s);
    expect(() => parseMetricsOptions({ metricsPort: 1.5 }, 'coordinator flags')).toThrow(/coordinator flags/);
  });

  it('gives worker k of train --workers N the port P + 1 + k, and every worker a free port for P = 0', () => {
    expect([0, 1, 2].map((k) => workerMetricsPort(9464, k))).toEqual([9465, 9466, 9467]);
    expect(workerMetricsPort(0, 3)).toBe(0);
  });
});
