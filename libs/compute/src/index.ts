// Public API of @tunefleet/compute. Other projects import only from here.
export { BackendError, type BackendErrorCode } from './backend-error.ts';
export {
  initBackend,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
  type InitBackendOptions,
} from './init-backend.ts';
export { registerGradients, GRADIENT_KERNELS } from './gradients/register-gradients.ts';
export { copyTensorInto } from './copy-tensor.ts';
export { setComputePrecision, type ComputePrecision, type ComputePrecisionState } from './compute-precision.ts';
