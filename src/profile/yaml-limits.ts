import { isScalar, LineCounter, Lexer, Parser, visit, type Document } from 'yaml';
import { MAX_NESTING } from './limits.ts';
import type { Position } from './positions.ts';

/** Where the text nests deeper than MAX_NESTING, found with yaml's own (iterative) lexer and parser. */
export function nestingTooDeep(text: string): { at: Position; message: string } | undefined {
  const lineCounter = new LineCounter();
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0);
  for (const lexeme of new Lexer().lex(text)) {
    for (const _token of parser.next(lexeme)) { /* only the depth matters */ }
    if (parser.stack.length > MAX_NESTING) {
      return {
        at: lineCounter.linePos(parser.offset),
        message: `the YAML nests more than ${MAX_NESTING} levels deep here: a host profile is a few levels deep`,
      };
    }
  }
  return undefined;
}

/** Whole numbers that JavaScript cannot hold exactly (beyond 2^53 - 1): they would be read as another number. */
export function unsafeIntegers(doc: Document): { offset: number; message: string }[] {
  const found: { offset: number; message: string }[] = [];
  visit(doc, {
    Scalar(_key, node) {
      if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value) || Number.isSafeInteger(node.value)) return;
      const written = node.source ?? String(node.value);
      found.push({
        offset: node.range?.[0] ?? 0,
        message: `${written} is too large to be read exactly (the largest whole number is ${Number.MAX_SAFE_INTEGER})`,
      });
    },
  });
  return found;
}
