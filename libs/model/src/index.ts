// Public API of @tunefleet/model. Other projects import only from here.
export * from './trainable.ts';
