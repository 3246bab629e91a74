// Public API of the checkpoint module: safetensors read/write and shape validation.
export { CheckpointError, type CheckpointErrorCode } from './checkpoint-error.ts';
export { SUPPORTED_DTYPES, type SupportedDtype, float16ToNumber } from './dtype.ts';
export { elementCount, type SafetensorsContents, type TensorData } from './tensor-data.ts';
export { parseSafetensors, readSafetensors } from './safetensors-read.ts';
export { serializeSafetensors, writeSafetensors } from './safetensors-write.ts';
export { validateShapes } from './validate-shapes.ts';
