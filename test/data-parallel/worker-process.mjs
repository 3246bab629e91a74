// Test-only: one worker as its own OS process, as `tunefleet worker` will run it.
// Usage: node worker-process.mjs <coordinator host:port> <token> <workerId>
import { register } from 'tsx/esm/api';

register();
const { runWorker } = await import('@tunefleet/worker');
const [coordinator, token, workerId] = process.argv.slice(2);
const result = await runWorker({ coordinator, token, workerId, backend: 'cpu', connectTimeoutMs: 10_000 });
if (result.reason) process.stderr.write(`[worker] exit ${result.exitCode}: ${result.reason}\n`);
process.exitCode = result.exitCode;
