import { TunefleetError } from '@tunefleet/core';

/** Stable codes for everything that can be wrong with a checkpoint file. */
export type CheckpointErrorCode =
  | 'CHECKPOINT_IO' // the file could not be read or written
  | 'CHECKPOINT_TRUNCATED' // shorter than its 8-byte length prefix or than the header it announces
  | 'CHECKPOINT_HEADER_INVALID' // header is not UTF-8 JSON describing an object
  | 'CHECKPOINT_ENTRY_INVALID' // a tensor entry lacks dtype/shape/data_offsets or has wrong types
  | 'CHECKPOINT_DTYPE_UNSUPPORTED'
  | 'CHECKPOINT_SIZE_MISMATCH' // shape x dtype size differs from the byte length of the offsets
  | 'CHECKPOINT_OFFSETS_OUT_OF_RANGE'
  | 'CHECKPOINT_OFFSETS_OVERLAP'
  | 'CHECKPOINT_METADATA_INVALID'
  | 'CHECKPOINT_SHAPE_MISMATCH' // a tensor's shape is not what the model config expects
  | 'CHECKPOINT_NOT_FOUND' // a model directory holds none of the weight files tunefleet reads
  | 'CHECKPOINT_INDEX_INVALID' // a sharded checkpoint's *.index.json is not {weight_map: {tensor: shard}} or names a missing shard
  | 'CHECKPOINT_FORMAT_UNSUPPORTED' // a torch file in a format tunefleet does not read (tar of torch < 0.4, TorchScript)
  | 'CHECKPOINT_ZIP_INVALID' // a pytorch_model.bin zip that cannot be opened or lacks data.pkl / a storage entry
  | 'CHECKPOINT_PICKLE_INVALID' // a malformed pickle stream (unknown opcode, stack underflow, wrong argument types)
  | 'CHECKPOINT_PICKLE_REFUSED'; // a pickle that would call code other than torch's tensor rebuild: never executed

/**
 * A checkpoint that cannot be used. Fatal, never retryable: the bytes will not change on a retry.
 * `file` is the path (or `<memory>`), `tensor` the entry at fault when there is one.
 */
export class CheckpointError extends TunefleetError<CheckpointErrorCode> {
  override readonly name: string = 'CheckpointError';

  constructor(
    code: CheckpointErrorCode,
    readonly file: string,
    /** The message without the file/tensor prefix. */
    readonly detail: string,
    readonly tensor?: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${file}${tensor === undefined ? '' : ` tensor "${tensor}"`}: ${detail}`, options);
  }
}
