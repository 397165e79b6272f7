import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from './issues.ts';

export interface Position {
  line: number;
  col: number;
}

export interface Locator {
  /**
   * Where `path` is in the document (1-based). Scalars and flow collections point at the
   * value; block collections and empty values at their key. A missing key points at the
   * deepest mapping that does exist along the path.
   */
  positionOf(path: readonly PathSegment[]): Position;
  /** Like positionOf, but a mapping entry points at its key (for unknown keys). */
  keyPositionOf(path: readonly PathSegment[]): Position;
  /** The value node at `path`, if every segment exists. */
  nodeAt(path: readonly PathSegment[]): Node | undefined;
  /** Path of the mapping key that covers `offset` (e.g. a duplicate key), deepest first match. */
  pathAtOffset(offset: number): PathSegment[];
}

interface Step {
  value: unknown;
  key: unknown;
}

const START: Position = { line: 1, col: 1 };

function keyMatches(key: unknown, segment: PathSegment): boolean {
  return isScalar(key) && String(key.value) === String(segment);
}

function walk(root: unknown, path: readonly PathSegment[]): Step[] {
  const trail: Step[] = [{ value: root, key: null }];
  let current = root;
  for (const segment of path) {
    if (isMap(current)) {
      const pair = current.items.find((p) => keyMatches(p.key, segment));
      if (!pair) break;
      trail.push({ value: pair.value, key: pair.key });
      current = pair.value;
    } else if (isSeq(current) && Number.isInteger(Number(segment))) {
      const item = current.items[Number(segment)];
      if (item === undefined) break;
      trail.push({ value: item, key: null });
      current = item;
    } else {
      break;
    }
  }
  return trail;
}

function rangeOf(node: unknown): [number, number] | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? [range[0], range[1]] : undefined;
}

function pointsAtValue(value: unknown): boolean {
  const range = rangeOf(value);
  if (!range || range[0] === range[1]) return false;
  if (isScalar(value)) return true;
  return (isMap(value) || isSeq(value)) && value.flow === true;
}

export function createLocator(doc: Document, lineCounter: LineCounter): Locator {
  const at = (offset: number): Position => lineCounter.linePos(offset);

  const stepPosition = (step: Step): Position => {
    const valueRange = rangeOf(step.value);
    const keyRange = rangeOf(step.key);
    if (pointsAtValue(step.value) && valueRange) return at(valueRange[0]);
    if (keyRange) return at(keyRange[0]);
    if (valueRange) return at(valueRange[0]);
    return START;
  };

  const positionOf = (path: readonly PathSegment[]): Position => {
    const trail = walk(doc.contents, path);
    return stepPosition(trail[trail.length - 1]!);
  };

  const keyPositionOf = (path: readonly PathSegment[]): Position => {
    const trail = walk(doc.contents, path);
    const keyRange = trail.length === path.length + 1 ? rangeOf(trail[trail.length - 1]!.key) : undefined;
    return keyRange ? at(keyRange[0]) : positionOf(path);
  };

  const nodeAt = (path: readonly PathSegment[]): Node | undefined => {
    const trail = walk(doc.contents, path);
    if (trail.length !== path.length + 1) return undefined;
    const value = trail[trail.length - 1]!.value;
    return isScalar(value) || isMap(value) || isSeq(value) ? value : undefined;
  };

  const pathAtOffset = (offset: number): PathSegment[] => {
    const inside = (node: unknown): boolean => {
      const range = rangeOf(node);
      return range !== undefined && range[0] <= offset && offset < Math.max(range[1], range[0] + 1);
    };
    const search = (node: unknown, prefix: PathSegment[]): PathSegment[] | undefined => {
      if (isMap(node)) {
        for (const pair of node.items) {
          const segment = isScalar(pair.key) ? String(pair.key.value) : '?';
          if (inside(pair.key)) return [...prefix, segment];
          if (inside(pair.value)) return search(pair.value, [...prefix, segment]) ?? [...prefix, segment];
        }
      } else if (isSeq(node)) {
        for (const [index, item] of node.items.entries()) {
          if (inside(item)) return search(item, [...prefix, index]) ?? [...prefix, index];
        }
      }
      return undefined;
    };
    return search(doc.contents, []) ?? [];
  };

  return { positionOf, keyPositionOf, nodeAt, pathAtOffset };
}
