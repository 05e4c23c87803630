// The rows' strips: cut where ASCII and other characters meet, and put back together they are the
// rows exactly, styles included.
import { describe, expect, it } from 'vitest';
import { type Line, lineText } from '../../src/dashboard/lines.ts';
import { sliceLine, strips } from '../../src/dashboard/strips.ts';

const rows: Line[] = [
  [
    { t: '> ', inverse: true },
    { t: '● ', c: 'green' },
    { t: 'web  ', inverse: true },
    { t: '██', c: 'green' },
    { t: '░░ 48%' },
  ],
  [{ t: '  ' }, { t: '● ', c: 'gray' }, { t: 'db   ' }, { t: '░░░░', c: 'gray' }, { t: '  -' }],
  [{ t: '  ● a-much-longer-name-cut…' }],
];

describe('dashboard row strips', () => {
  it('cuts at the columns where ASCII and other characters meet', () => {
    expect(strips(rows, 20)).toEqual([
      [0, 2],
      [2, 3],
      [3, 9],
      [9, 13],
      [13, 20],
    ]);
    // Past the longest row only ASCII (nothing) is left: one strip to the edge.
    expect(strips([[{ t: 'plain' }]], 12)).toEqual([[0, 12]]);
  });

  it('gives back every row exactly, styles kept, when the strips are put side by side', () => {
    const width = 30;
    const ranges = strips(rows, width);
    for (const row of rows) {
      const parts = ranges.map(([a, b]) => sliceLine(row, a, b));
      expect(parts.map(lineText).join('')).toBe(lineText(row));
      const inverse = parts
        .flat()
        .filter((s) => s.inverse)
        .map((s) => s.t)
        .join('');
      expect(inverse).toBe(
        row
          .filter((s) => s.inverse)
          .map((s) => s.t)
          .join(''),
      );
    }
  });
});
