// Regenerates schema/host-profile.schema.json from the zod schema: npx tsx scripts/gen-schema.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { profileJsonSchema } from '../src/profile/json-schema.ts';

const target = fileURLToPath(new URL('../schema/host-profile.schema.json', import.meta.url));
writeFileSync(target, JSON.stringify(profileJsonSchema(), null, 2) + '\n');
console.log(`wrote ${target}`);
