import { LineCounter, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { createLocator } from '../../../src/profile/positions.ts';

const text = [
  'apiVersion: vm-provision/v1', // 1
  'condor:', // 2
  '  vm:', // 3
  '    memory: 1024', // 4
  '    networking: {types: [nat, bridge], default: nat}', // 5
  '  restart:', // 6
  'list:', // 7
  '  - a: 1', // 8
  '  - b', // 9
].join('\n');

function locator() {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return createLocator(doc, lineCounter);
}

describe('positions', () => {
  it('points at a scalar value', () => {
    expect(locator().positionOf(['condor', 'vm', 'memory'])).toEqual({ line: 4, col: 13 });
    expect(locator().positionOf(['apiVersion'])).toEqual({ line: 1, col: 13 });
  });

  it('points at a flow collection and items inside it', () => {
    expect(locator().positionOf(['condor', 'vm', 'networking'])).toEqual({ line: 5, col: 17 });
    expect(locator().positionOf(['condor', 'vm', 'networking', 'types', 1])).toEqual({ line: 5, col: 31 });
    expect(locator().positionOf(['condor', 'vm', 'networking', 'default'])).toEqual({ line: 5, col: 49 });
  });

  it('points at the key of a block collection or an empty value', () => {
    expect(locator().positionOf(['condor', 'vm'])).toEqual({ line: 3, col: 3 });
    expect(locator().positionOf(['condor', 'restart'])).toEqual({ line: 6, col: 3 });
  });

  it('points a missing key at its parent mapping', () => {
    expect(locator().positionOf(['condor', 'vm', 'maxNumber'])).toEqual({ line: 3, col: 3 });
    expect(locator().positionOf(['condor', 'vm', 'networking', 'bridgeInterface'])).toEqual({ line: 5, col: 17 });
    expect(locator().positionOf(['kind'])).toEqual({ line: 1, col: 1 });
  });

  it('points an existing key at the key itself with keyPositionOf', () => {
    expect(locator().keyPositionOf(['condor', 'vm', 'memory'])).toEqual({ line: 4, col: 5 });
    expect(locator().keyPositionOf(['condor', 'vm', 'nope'])).toEqual({ line: 3, col: 3 });
  });

  it('walks sequences by index', () => {
    expect(locator().positionOf(['list', 0, 'a'])).toEqual({ line: 8, col: 8 });
    expect(locator().positionOf(['list', 1])).toEqual({ line: 9, col: 5 });
    expect(locator().positionOf(['list', 5])).toEqual({ line: 7, col: 1 });
  });

  it('finds the path of the key at an offset', () => {
    const offset = text.indexOf('memory');
    expect(locator().pathAtOffset(offset)).toEqual(['condor', 'vm', 'memory']);
    expect(locator().pathAtOffset(0)).toEqual(['apiVersion']);
  });

  it('returns nodes only for complete paths', () => {
    expect(locator().nodeAt(['condor', 'vm', 'memory'])?.toJSON()).toBe(1024);
    expect(locator().nodeAt(['condor', 'vm', 'maxNumber'])).toBeUndefined();
  });
});
