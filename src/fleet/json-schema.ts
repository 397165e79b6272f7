// JSON Schema of fleet files (schema/fleet.schema.json), and the keys allowed at a path for hints.
import { z } from 'zod';
import { FleetSchema } from './schema.ts';

export const FLEET_SCHEMA_ID = 'https://vm-provision.dev/schema/fleet.schema.json';

export function fleetJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(FleetSchema, { io: 'input' }) as Record<string, unknown>;
  return {
    $schema,
    $id: FLEET_SCHEMA_ID,
    title: 'vm-provision fleet',
    description: 'Fleet file (format vm-provision/v1): the hosts of a rollout, the profile each gets, SSH settings and rollout control.',
    ...rest,
  };
}

interface JsonNode { properties?: Record<string, JsonNode>; items?: JsonNode; anyOf?: JsonNode[] }
let cached: JsonNode | undefined;

export function fleetKeysAt(path: readonly (string | number)[]): string[] {
  cached ??= z.toJSONSchema(FleetSchema, { io: 'input', unrepresentable: 'any' }) as JsonNode;
  let node: JsonNode | undefined = cached;
  for (const segment of path) {
    const branches: JsonNode[] = node?.anyOf ?? (node ? [node] : []);
    node = undefined;
    for (const b of branches) {
      if (b.properties) { node = b.properties[String(segment)]; break; }
      if (b.items) { node = b.items; break; }
    }
  }
  const branches: JsonNode[] = node?.anyOf ?? (node ? [node] : []);
  return branches.flatMap((b) => Object.keys(b.properties ?? {}));
}
