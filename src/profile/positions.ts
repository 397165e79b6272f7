import { isCollection, isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
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

const START: Position = { line: 1, col: 1 };

type Range = readonly [number, number, number];
const rangeOf = (node: unknown): Range | undefined => (node as { range?: Range } | null)?.range ?? undefined;

function pointsAtValue(value: Node): boolean {
  const range = rangeOf(value);
  if (!range || range[0] === range[1]) return false;
  return isScalar(value) || (isCollection(value) && value.flow === true);
}

export function createLocator(doc: Document, lineCounter: LineCounter): Locator {
  const at = (offset: number): Position => lineCounter.linePos(offset);

  const nodeAt = (path: readonly PathSegment[]): Node | undefined => {
    const node: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true);
    return isScalar(node) || isCollection(node) ? node : undefined;
  };

  const pairAt = (path: readonly PathSegment[]): Pair | undefined => {
    if (path.length === 0) return undefined;
    const parent = nodeAt(path.slice(0, -1));
    const key = String(path[path.length - 1]);
    return isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === key) : undefined;
  };

  /** The longest prefix of `path` that exists in the document. */
  const existing = (path: readonly PathSegment[]): readonly PathSegment[] => {
    for (let n = path.length; n > 0; n--) if (nodeAt(path.slice(0, n))) return path.slice(0, n);
    return [];
  };

  const positionOf = (path: readonly PathSegment[]): Position => {
    const found = existing(path);
    const value = nodeAt(found);
    const keyRange = rangeOf(pairAt(found)?.key);
    if (value && pointsAtValue(value)) return at(rangeOf(value)![0]);
    if (keyRange) return at(keyRange[0]);
    const valueRange = rangeOf(value);
    return valueRange ? at(valueRange[0]) : START;
  };

  const keyPositionOf = (path: readonly PathSegment[]): Position => {
    const keyRange = rangeOf(pairAt(path)?.key);
    return keyRange ? at(keyRange[0]) : positionOf(path);
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
