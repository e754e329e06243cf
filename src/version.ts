import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package version (from package.json, one level above src/ and dist/). */
export const version: string = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
