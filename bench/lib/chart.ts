const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar chart of ratios as a standalone SVG, with the line at 1.0 marked. */
export function ratioChart(title: string, bars: { label: string; value: number }[]): string {
  const labelWidth = 330;
  const plot = 420;
  const row = 26;
  const top = 40;
  const max = Math.max(1.5, ...bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const x = (v: number) => labelWidth + (v / max) * plot;
  const height = top + bars.length * row + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plot + 60}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<title>${xml(title)}</title>`,
    `<text x="10" y="22" font-size="14" font-weight="bold">${xml(title)}</text>`,
  ];
  bars.forEach((bar, i) => {
    const y = top + i * row;
    const value = Number.isFinite(bar.value) ? bar.value : 0;
    const fill = bar.label.startsWith('zpe-gateway') ? '#d9480f' : '#4c6ef5';
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${xml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 4}" width="${Math.max(1, x(value) - labelWidth).toFixed(1)}" height="${row - 8}" fill="${fill}"/>`,
      `<text x="${(x(value) + 4).toFixed(1)}" y="${y + 16}">${value.toFixed(2)}×</text>`,
    );
  });
  parts.push(
    `<line x1="${x(1).toFixed(1)}" y1="${top - 4}" x2="${x(1).toFixed(1)}" y2="${height - 24}" stroke="#000" stroke-dasharray="4 3"/>`,
    `<text x="${x(1).toFixed(1)}" y="${height - 10}" text-anchor="middle">1.0 = fastify</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
