// Public API of the checkpoint module: safetensors read/write, pytorch_model.bin and sharded reads, shape validation.
export { CheckpointError, type CheckpointErrorCode } from './checkpoint-error.ts';
export { SUPPORTED_DTYPES, type SupportedDtype, float16ToNumber, numberToFloat16, float32BitsToBfloat16, encodeFromFloat32 } from './dtype.ts';
export { elementCount, type SafetensorsContents, type TensorData } from './tensor-data.ts';
export { parseSafetensors, readSafetensors } from './safetensors-read.ts';
export { serializeSafetensors, writeSafetensors } from './safetensors-write.ts';
export { DEFAULT_MAX_SHARD_BYTES, planShards, writeSafetensorsModel } from './safetensors-shards-write.ts';
export { castSafetensorsFile, castSafetensorsModel } from './safetensors-cast.ts';
export { validateShapes } from './validate-shapes.ts';
export { findWeightsFile, isShardIndex, readCheckpointWeights, readShardedCheckpoint, readWeightMap, readWeightsFile, shardFiles, WEIGHT_FILES, type WeightFile } from './checkpoint-files.ts';
export { parseTorchBin, readTorchBin } from './torch-bin-read.ts';
