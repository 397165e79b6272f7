import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { profileJsonSchema } from '../../../src/profile/index.ts';

const schemaFile = fileURLToPath(new URL('../../../schema/host-profile.schema.json', import.meta.url));

describe('profileJsonSchema', () => {
  it('is what schema/host-profile.schema.json holds', () => {
    const generated = JSON.stringify(profileJsonSchema(), null, 2) + '\n';
    const committed = readFileSync(schemaFile, 'utf8');
    expect(committed === generated, 'schema/host-profile.schema.json is stale: run `npx tsx scripts/gen-schema.ts`').toBe(
      true,
    );
  });

  it('identifies itself and leaves defaulted fields optional', () => {
    const schema = profileJsonSchema() as {
      $schema: string;
      $id: string;
      title: string;
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { required?: string[] }>;
    };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe('https://vm-provision.dev/schema/host-profile.schema.json');
    expect(schema.title).toBeTruthy();
    expect(schema.required.sort()).toEqual(['apiVersion', 'condor', 'hypervisor', 'kind', 'metadata']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.condor!.required).toEqual(['vm']);
  });
});
