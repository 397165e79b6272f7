import { z } from 'zod';
import type { PathSegment } from './issues.ts';

// Hints list the keys allowed at a path; zod's public view of a schema's structure is its JSON Schema.

interface JsonNode {
  type?: string | string[];
  properties?: Record<string, JsonNode>;
  items?: JsonNode;
  anyOf?: JsonNode[];
}

const cache = new WeakMap<z.core.$ZodType, JsonNode>();

function jsonOf(schema: z.core.$ZodType): JsonNode {
  let json = cache.get(schema);
  if (!json) {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonNode;
    cache.set(schema, json);
  }
  return json;
}

/** A nullable or union node's alternatives; any other node stands alone. */
const branches = (node: JsonNode): JsonNode[] => node.anyOf ?? [node];

function child(node: JsonNode, segment: PathSegment): JsonNode | undefined {
  for (const branch of branches(node)) {
    if (branch.properties) return branch.properties[String(segment)];
    if (branch.items) return branch.items;
  }
  return undefined;
}

function nodeAt(schema: z.core.$ZodType, path: readonly PathSegment[]): JsonNode | undefined {
  let current: JsonNode | undefined = jsonOf(schema);
  for (const segment of path) current = current && child(current, segment);
  return current;
}

/** Keys of the object schema at `path`, or [] if there is none. */
export function objectKeysAt(schema: z.core.$ZodType, path: readonly PathSegment[]): string[] {
  const found = nodeAt(schema, path);
  const object = found && branches(found).find((b) => b.properties);
  return object?.properties ? Object.keys(object.properties) : [];
}

/** Whether the schema at `path` is an integer (zod reports a wrong type as "number"). */
export function isIntegerAt(schema: z.core.$ZodType, path: readonly PathSegment[]): boolean {
  const found = nodeAt(schema, path);
  return found !== undefined && branches(found).some((b) => b.type === 'integer');
}

/** Dotted paths of the objects that accept `key` ("" for the top level). */
export function objectsWithKey(schema: z.core.$ZodType, key: string): string[] {
  const found: string[] = [];
  const visit = (node: JsonNode, path: string[]): void => {
    for (const branch of branches(node)) {
      if (branch.items) visit(branch.items, path);
      if (!branch.properties) continue;
      if (key in branch.properties) found.push(path.join('.'));
      for (const [name, sub] of Object.entries(branch.properties)) visit(sub, [...path, name]);
    }
  };
  visit(jsonOf(schema), []);
  return found;
}
