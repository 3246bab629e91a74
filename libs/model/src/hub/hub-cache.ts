import { lstat, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/**
 * Hugging Face's cache layout, the one Python's huggingface_hub reads and writes:
 * `<cache>/models--ORG--NAME/blobs/<etag>` holds each file once, `refs/<revision>` the commit a
 * branch resolved to, and `snapshots/<commit>/<path>` a relative symlink to the blob.
 */
export function repoFolder(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.split('/').join('--')}`);
}

export function snapshotDir(folder: string, commit: string): string {
  return join(folder, 'snapshots', commit);
}

const COMMIT_HASH = /^[0-9a-f]{40}$/;

/** The commit `revision` names in the cache: itself when it is a commit hash, else `refs/<revision>`. */
export async function readRef(folder: string, revision: string): Promise<string | undefined> {
  if (COMMIT_HASH.test(revision)) return revision;
  try {
    const commit = (await readFile(join(folder, 'refs', revision), 'utf8')).trim();
    return commit === '' ? undefined : commit;
  } catch {
    return undefined;
  }
}

export async function writeRef(folder: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  await mkdir(join(folder, 'refs'), { recursive: true });
  await writeFile(join(folder, 'refs', revision), commit);
}

/** Whether `snapshots/<commit>/<path>` exists and its blob too (a dangling link does not count). */
export async function hasSnapshotFile(folder: string, commit: string, path: string): Promise<boolean> {
  return exists(join(snapshotDir(folder, commit), path));
}

/**
 * Puts one file into the cache: the blob (written by `download` into `<blob>.incomplete`, then
 * renamed, so an interrupted download never looks complete) and the snapshot link to it.
 */
export async function storeFile(
  folder: string,
  commit: string,
  path: string,
  etag: string,
  download: (incompleteFile: string) => Promise<void>,
): Promise<string> {
  const blob = join(folder, 'blobs', etag);
  const pointer = join(snapshotDir(folder, commit), path);
  if (!(await exists(blob))) {
    await mkdir(dirname(blob), { recursive: true });
    const incomplete = `${blob}.incomplete`;
    await download(incomplete);
    await rename(incomplete, blob);
  }
  await mkdir(dirname(pointer), { recursive: true });
  if (await isLink(pointer)) await rm(pointer);
  await symlink(relative(dirname(pointer), blob), pointer);
  return pointer;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function isLink(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
