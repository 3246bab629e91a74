import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// No Docker engine runs in CI, so the images are linted, not built (deploy/README.md says so). The
// linter is the pinned dockerfilelint devDependency, run as its CLI with JSON output; any finding fails.

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const LINTER = join(ROOT, 'node_modules/dockerfilelint/bin/dockerfilelint');
const DOCKERFILES = ['deploy/docker/Dockerfile.cpu', 'deploy/docker/Dockerfile.gpu'];

interface LintIssue {
  line: string;
  content: string;
  title: string;
  description: string;
}

async function lint(file: string): Promise<LintIssue[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [LINTER, '--json', file], { cwd: ROOT }));
  } catch (error) {
    // dockerfilelint exits with the number of issues; the JSON report is still on stdout.
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (stdout === '') throw error;
  }
  const report = JSON.parse(stdout) as { files: { issues: LintIssue[] }[] };
  return report.files.flatMap((entry) => entry.issues);
}

/** The instructions of each stage, split at every FROM. */
function stages(dockerfile: string): string[][] {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const result: string[][] = [];
  for (const instruction of instructions) {
    if (/^FROM\s/i.test(instruction)) result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

describe('dockerfilelint', () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'tunefleet-dockerfilelint-'));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('reports findings on a Dockerfile with known mistakes (the check can fail)', async () => {
    const bad = join(scratch, 'Dockerfile');
    await writeFile(bad, 'FROM node:latest\nRUN apt-get install curl\n');
    const titles = (await lint(bad)).map((issue) => issue.title);
    expect(titles).toContain('Base Image Latest Tag');
    expect(titles).toContain('Missing parameter for `apt-get`');
  });

  for (const file of DOCKERFILES) {
    it(`${file} has no findings`, async () => {
      const issues = await lint(join(ROOT, file));
      expect(issues.map((issue) => `line ${issue.line}: ${issue.title}: ${issue.content}`)).toEqual([]);
    });
  }
});

describe.each(DOCKERFILES)('%s follows the image contract (issue 11, part 1)', (file) => {
  let build: string[][];
  beforeAll(async () => {
    build = stages(await readFile(join(ROOT, file), 'utf8'));
  });

  const final = (): string[] => build.at(-1)!;
  const buildStage = (): string[] => build.find((stage) => stage.some((i) => i.includes('libopenblas-dev')))!;

  it('is multi-stage, with the native addon compiled in a build stage against libopenblas-dev', () => {
    expect(build.length).toBeGreaterThanOrEqual(2);
    expect(buildStage()).toBeDefined();
    expect(buildStage()).not.toBe(final());
    expect(buildStage().join('\n')).toMatch(/npm ci\b/);
    expect(buildStage().join('\n')).toContain('libs/native-kernels/build/Release/tunefleet_native.node');
  });

  it('installs production dependencies only in the final stage, with OpenBLAS at run time', () => {
    const text = final().join('\n');
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/apt-get install -y --no-install-recommends [^\n]*\blibopenblas0\b/);
    expect(text).not.toContain('libopenblas-dev');
    expect(text).not.toContain('build-essential');
    expect(text).toContain('COPY --from=build /app/libs ./libs');
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK and the CLI bin as entry point', async () => {
    const user = final().filter((i) => /^USER\s/.test(i));
    expect(user).toHaveLength(1);
    const [uid] = user[0]!.replace(/^USER\s+/, '').split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    expect(final().some((i) => /^HEALTHCHECK\s.*CMD\s/.test(i))).toBe(true);
    const bin = JSON.parse(await readFile(join(ROOT, 'apps/cli/package.json'), 'utf8')).bin.tunefleet as string;
    expect(final()).toContain(`ENTRYPOINT ["node", "${join('apps/cli', bin)}"]`);
    // The healthcheck script the image copies exists in the repository.
    expect(final()).toContain('COPY deploy/docker/healthcheck.mjs ./deploy/docker/healthcheck.mjs');
    await expect(readFile(join(ROOT, 'deploy/docker/healthcheck.mjs'), 'utf8')).resolves.toContain('grpc.health.v1.Health/Check');
  });
});

describe('the GPU image', () => {
  it('uses the CUDA 11.2 / cuDNN 8 base that @tensorflow/tfjs-node-gpu 4.22 was built for, and installs it', async () => {
    const text = await readFile(join(ROOT, 'deploy/docker/Dockerfile.gpu'), 'utf8');
    const bases = stages(text).map((stage) => stage[0]);
    expect(bases.filter((from) => from?.startsWith('FROM nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04'))).toHaveLength(2);
    expect(stages(text).at(-1)!.join('\n')).toContain('@tensorflow/tfjs-node-gpu@4.22.0');
  });
});
