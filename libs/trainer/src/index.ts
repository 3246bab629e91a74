export const placeholder = 'trainer';
