/**
 * Plain-text columns for terminals: a header row, then one row per record, each column as wide as its
 * widest cell. Control characters are replaced so that stored text (reasons, holders) cannot move the
 * cursor or forge lines.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = rows.map((row) => row.map((cell) => cell.replace(CONTROL_CHARACTERS, ' ')));
  const widths = headers.map((header, i) => Math.max(header.length, ...clean.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...clean.map(line)].map((l) => `${l}\n`).join('');
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;
