export const placeholder = 'compute';
