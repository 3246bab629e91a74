// Placeholder until the native addon lands: reports that native kernels are unavailable.
export type NativeRegistration = { ok: true; name: 'native'; threads: number } | { ok: false; reason: string };

export async function tryRegisterNativeBackend(_options: { threads?: number } = {}): Promise<NativeRegistration> {
  return { ok: false, reason: 'native kernels are not built' };
}
