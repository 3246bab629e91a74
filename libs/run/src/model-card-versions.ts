import { readFile } from 'node:fs/promises';
import { version_core as tfjsCoreVersion } from '@tensorflow/tfjs-core';
import type { FrameworkVersions } from '@tunefleet/trainer';

// The repository's root package.json: its version is tunefleet's (libs/run/src -> the root).
const ROOT_PACKAGE = new URL('../../../package.json', import.meta.url);

/** The versions a model card lists: tunefleet (root package.json), Node.js, tfjs-core and the backend that ran. */
export async function frameworkVersions(backend: string): Promise<FrameworkVersions> {
  let tunefleet = 'unknown';
  try {
    const parsed = JSON.parse(await readFile(ROOT_PACKAGE, 'utf8')) as { version?: unknown };
    if (typeof parsed.version === 'string') tunefleet = parsed.version;
  } catch {
    // A copy of the libraries without the root package.json still writes its card.
  }
  return { tunefleet, node: process.version, tfjsCore: tfjsCoreVersion, backend };
}
