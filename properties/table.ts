// The benchmarks' plain-text tables.

/**
 * A header, a rule of dashes under it, then the rows, columns two spaces apart: the first `left`
 * columns (names) padded on the right, the rest (figures) on the left, so their digits line up.
 */
export function textTable(head: readonly string[], rows: readonly (readonly string[])[], left: number): string {
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < left ? c.padEnd(width[i]!) : c.padStart(width[i]!))).join('  ');
  return [line(head), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
