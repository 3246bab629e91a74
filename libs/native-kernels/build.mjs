// Builds the native kernels addon (node-gyp over OpenBLAS). Called from the root "postinstall":
// a failed build (no compiler, no libopenblas-dev, another platform) prints one warning and exits 0,
// so `npm ci` still succeeds and tunefleet falls back to the wasm or cpu backend.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function nodeGypBin() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

// Use the headers that ship beside this node binary (Debian's nodejs-dev puts them in /usr/include/node),
// so the build works offline; otherwise node-gyp downloads them.
function localNodeDir() {
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function build() {
  if (process.env.TUNEFLEET_SKIP_NATIVE === '1') return 'skipped (TUNEFLEET_SKIP_NATIVE=1)';
  const gyp = nodeGypBin();
  if (gyp === undefined) return 'node-gyp is not installed';
  const nodeDir = localNodeDir();
  const args = [gyp, 'rebuild', ...(nodeDir ? [`--nodedir=${nodeDir}`] : [])];
  const result = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status === 0) return undefined;
  const log = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const firstError = log.split('\n').find((l) => /error|not found|cannot find/i.test(l)) ?? `exit ${result.status}`;
  return firstError.trim().slice(0, 200);
}

const failure = build();
if (failure === undefined) {
  console.log('native-kernels: built build/Release/tunefleet_native.node');
} else {
  console.warn(`native-kernels: not built (${failure}); the native backend will be unavailable, wasm/cpu are used instead.`);
}
process.exit(0);
