import { describe, expect, it } from 'vitest';
import { findCycles, type Graph } from './import-graph.js';

const g = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges));

describe('findCycles', () => {
  it('finds none in a tree of imports', () => {
    expect(findCycles(g({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('finds a cycle through several modules', () => {
    expect(findCycles(g({ a: ['b'], b: ['c'], c: ['a'], d: ['a'] }))).toEqual([['a', 'b', 'c']]);
  });

  it('finds a module that imports itself', () => {
    expect(findCycles(g({ a: ['a'] }))).toEqual([['a']]);
  });

  it('reports separate cycles separately', () => {
    expect(findCycles(g({ a: ['b'], b: ['a'], c: ['d'], d: ['c'] }))).toEqual([['a', 'b'], ['c', 'd']]);
  });
});
