import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJobSpecYaml } from '@tunefleet/coordinator';

// deploy/README.md promises pasteable commands: the files they name must exist, and the example job
// they submit must be a valid job spec.

const ROOT = resolve(import.meta.dirname, '../..');

describe('deploy/README.md', () => {
  it('names only repository paths that exist', async () => {
    const readme = await readFile(join(ROOT, 'deploy/README.md'), 'utf8');
    const paths = [...new Set([...readme.matchAll(/(?<![\w/.-])((?:deploy|apps|examples)\/[\w./-]*[\w])/g)].map((m) => m[1]!))];
    expect(paths.length).toBeGreaterThan(10);
    // Files the operator or a later issue creates: the token, the monitoring dashboard.
    const notYet = new Set(['deploy/k8s/base/token']);
    expect(paths.filter((path) => !notYet.has(path) && !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('submits an example job that parses as a job spec', async () => {
    const file = join(ROOT, 'deploy/examples/sst2-tiny-job.yaml');
    const spec = parseJobSpecYaml(await readFile(file, 'utf8'), file);
    expect(spec.worldSize).toBe(2);
    expect(spec.trainFile).toBe('data/sst2/train.tsv');
    expect(spec.modelNameOrPath).toBe('models/tiny-init');
  });
});
