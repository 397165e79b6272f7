import { z } from 'zod';
import { HostProfileSchema } from './schema.ts';

export const SCHEMA_ID = 'https://vm-provision.dev/schema/host-profile.schema.json';

/** JSON Schema of the profile as written (defaulted fields optional), for editors. */
export function profileJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(HostProfileSchema, { io: 'input' }) as Record<string, unknown>;
  return {
    $schema,
    $id: SCHEMA_ID,
    title: 'vm-provision host profile',
    description:
      'Host profile (format vm-provision/v1) describing how to turn an HTCondor execute node into a VM universe node.',
    ...rest,
  };
}
