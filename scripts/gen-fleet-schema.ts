// Regenerates schema/fleet.schema.json from the zod schema: npx tsx scripts/gen-fleet-schema.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fleetJsonSchema } from '../src/fleet/json-schema.ts';

const target = fileURLToPath(new URL('../schema/fleet.schema.json', import.meta.url));
writeFileSync(target, JSON.stringify(fleetJsonSchema(), null, 2) + '\n');
console.log(`wrote ${target}`);
