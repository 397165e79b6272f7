import type { z } from 'zod';
import type { PathSegment } from './issues.ts';

// Reads the zod schema's structure so hints can list the keys allowed at a path.

type Schema = z.core.$ZodType;
interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  format?: string;
}

const defOf = (schema: Schema): Def => schema._zod.def as unknown as Def;

function unwrap(schema: Schema): Schema {
  for (;;) {
    const def = defOf(schema);
    if (def.innerType) schema = def.innerType;
    else if (def.type === 'pipe' && def.in) schema = def.in;
    else return schema;
  }
}

function child(schema: Schema, segment: PathSegment): Schema | undefined {
  const def = defOf(unwrap(schema));
  if (def.type === 'object') return def.shape?.[String(segment)];
  if (def.type === 'array') return def.element;
  return undefined;
}

function schemaAt(schema: Schema, path: readonly PathSegment[]): Schema | undefined {
  let current: Schema | undefined = schema;
  for (const segment of path) {
    current = current && child(current, segment);
  }
  return current && unwrap(current);
}

/** Keys of the object schema at `path`, or [] if there is none. */
export function objectKeysAt(schema: Schema, path: readonly PathSegment[]): string[] {
  const found = schemaAt(schema, path);
  const def = found && defOf(found);
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** Whether the schema at `path` is an integer (zod reports a wrong type as "number"). */
export function isIntegerAt(schema: Schema, path: readonly PathSegment[]): boolean {
  const found = schemaAt(schema, path);
  return found !== undefined && /int/.test(String(defOf(found).format ?? ''));
}

/** Dotted paths of the objects that accept `key` ("" for the top level). */
export function objectsWithKey(schema: Schema, key: string): string[] {
  const found: string[] = [];
  const visit = (node: Schema, path: string[]): void => {
    const def = defOf(unwrap(node));
    if (def.type === 'array' && def.element) visit(def.element, path);
    if (def.type !== 'object' || !def.shape) return;
    if (key in def.shape) found.push(path.join('.'));
    for (const [name, sub] of Object.entries(def.shape)) visit(sub, [...path, name]);
  };
  visit(schema, []);
  return found;
}
