import { placeholder } from '@tunefleet/model'; export async function main(_argv: string[]): Promise<number> { console.log(placeholder); return 0; }
