import { errorCode } from '@tunefleet/core';
import { readExamples, type ExampleSet, type ReadExamplesOptions } from '../read-examples.ts';
import type { QualitySplit, QualitySplits } from './inspect-data.ts';

/** The files of the splits to inspect; any may be absent (at least one must be given). */
export interface QualityFiles {
  readonly train?: string;
  readonly validation?: string;
  readonly test?: string;
}

/** The columns the run reads (`train`'s text, text pair and label columns). */
export type QualityColumns = Pick<ReadExamplesOptions, 'textColumn' | 'textPairColumn' | 'labelColumn'>;

/**
 * Reads the splits as `train` reads them but keeping bad rows (they are findings): validation and
 * test against train's label map, so an unseen label shows up as a bad row. A test (or validation)
 * file without the label column is read unlabelled, as test splits often are.
 */
export async function readQualitySplits(files: QualityFiles, columns: QualityColumns): Promise<QualitySplits> {
  const options: ReadExamplesOptions = { ...columns, skipBadRows: true };
  const train = files.train === undefined ? undefined : await readExamples(files.train, options);
  const labelMap = train?.labelMap;
  const read = async (file: string | undefined): Promise<QualitySplit | undefined> =>
    file === undefined ? undefined : readMaybeUnlabelled(file, { ...options, ...(labelMap === undefined ? {} : { labelMap }) });
  const validation = await read(files.validation);
  const test = await read(files.test);
  return {
    ...(train === undefined ? {} : { train }),
    ...(validation === undefined ? {} : { validation }),
    ...(test === undefined ? {} : { test }),
  };
}

async function readMaybeUnlabelled(file: string, options: ReadExamplesOptions): Promise<ExampleSet> {
  try {
    return await readExamples(file, options);
  } catch (error) {
    if (errorCode(error) !== 'DATA_MISSING_COLUMN' || options.labelColumn === null) throw error;
    return await readExamples(file, { ...options, labelColumn: null });
  }
}
