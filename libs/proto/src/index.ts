// Public surface of @tunefleet/proto: the code buf + ts-proto generate from /proto (see
// proto/buf.gen.yaml; regenerate with `cd proto && npx buf generate`). Nothing here is hand-written
// beyond these re-exports.
export * from './gen/tunefleet/v1/job.ts';
export * from './gen/tunefleet/v1/coordinator.ts';
export * from './gen/tunefleet/v1/collective.ts';
// Each generated file declares these helpers; re-export one copy so the names are unambiguous.
export { protobufPackage, type MessageFns, type DeepPartial } from './gen/tunefleet/v1/job.ts';
