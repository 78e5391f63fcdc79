/**
 * Throughput-over-time chart for `./run demo`, as a self-contained SVG (no dependencies, opens in any
 * browser): one line per run, each run's limit drawn as a dashed line in the same colour. Pure.
 */

export interface ChartSeries {
  label: string;
  /** Dashed horizontal line at this rate, or null for an unlimited run. */
  limitBitsPerSec: number | null;
  /** One point per measurement interval: seconds since the run started, and the rate over that interval. */
  points: Array<{ seconds: number; bitsPerSec: number }>;
}

export interface ChartOptions {
  title: string;
  width?: number;
  height?: number;
  /** Log scale makes a 10M run and a 3G run readable in one chart. Default: log when max/min limit > 20. */
  logScale?: boolean;
}

const COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];
const MARGIN = { left: 78, right: 180, top: 40, bottom: 46 };

export function renderThroughputChart(series: ChartSeries[], options: ChartOptions): string {
  const width = options.width ?? 900;
  const height = options.height ?? 420;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;

  const rates = series.flatMap((s) => [
    ...s.points.map((p) => p.bitsPerSec),
    ...(s.limitBitsPerSec === null ? [] : [s.limitBitsPerSec]),
  ]);
  const positiveRates = rates.filter((rate) => rate > 0);
  const maxRate = Math.max(1, ...positiveRates);
  const minRate = Math.max(1, Math.min(maxRate, ...positiveRates));
  const logScale = options.logScale ?? maxRate / minRate > 20;
  const maxSeconds = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.seconds)));

  const yTop = logScale ? 10 ** Math.ceil(Math.log10(maxRate)) : niceCeiling(maxRate);
  const yBottom = logScale ? 10 ** Math.floor(Math.log10(minRate / 2)) : 0;
  const x = (seconds: number): number => MARGIN.left + (seconds / maxSeconds) * plotWidth;
  const y = (rate: number): number => {
    const fraction = logScale
      ? (Math.log10(Math.max(rate, yBottom)) - Math.log10(yBottom)) / (Math.log10(yTop) - Math.log10(yBottom))
      : rate / yTop;
    return MARGIN.top + plotHeight * (1 - fraction);
  };

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
  );
  for (const tick of yTicks(yBottom, yTop, logScale)) {
    const ty = fixed(y(tick));
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${ty}" y2="${ty}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${ty}" dy="4" text-anchor="end">${formatRate(tick)}</text>`,
    );
  }
  for (let second = 0; second <= maxSeconds; second += Math.max(1, Math.ceil(maxSeconds / 10))) {
    const tx = fixed(x(second));
    parts.push(`<text x="${tx}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${second}</text>`);
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#999"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${height - 8}" text-anchor="middle">seconds</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">bit/s${logScale ? " (log)" : ""}</text>`,
  );

  series.forEach((run, index) => {
    const colour = COLOURS[index % COLOURS.length] ?? "#000000";
    if (run.limitBitsPerSec !== null) {
      const ly = fixed(y(run.limitBitsPerSec));
      parts.push(
        `<line class="limit" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-dasharray="6 4"/>`,
      );
    }
    const points = run.points.map((p) => `${fixed(x(p.seconds))},${fixed(y(p.bitsPerSec))}`).join(" ");
    parts.push(`<polyline class="run" points="${points}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    const legendY = MARGIN.top + 14 + index * 34;
    const legendX = MARGIN.left + plotWidth + 14;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 22}" y1="${legendY}" y2="${legendY}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${legendX + 28}" y="${legendY + 4}">${escapeXml(run.label)}</text>`,
    );
    if (run.limitBitsPerSec !== null) {
      parts.push(
        `<line x1="${legendX}" x2="${legendX + 22}" y1="${legendY + 16}" y2="${legendY + 16}" stroke="${colour}" stroke-dasharray="6 4"/>`,
        `<text x="${legendX + 28}" y="${legendY + 20}">limit ${formatRate(run.limitBitsPerSec)}</text>`,
      );
    }
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** 9_540_000 → "9.54M"; 1e9 → "1G"; used on axes and in the legend. */
export function formatRate(bitsPerSec: number): string {
  const units: Array<[number, string]> = [
    [1e12, "T"],
    [1e9, "G"],
    [1e6, "M"],
    [1e3, "k"],
  ];
  for (const [scale, suffix] of units) {
    if (bitsPerSec >= scale) return `${trimNumber(bitsPerSec / scale)}${suffix}`;
  }
  return trimNumber(bitsPerSec);
}

function yTicks(bottom: number, top: number, logScale: boolean): number[] {
  if (logScale) {
    const ticks: number[] = [];
    for (let tick = bottom; tick <= top * 1.0001; tick *= 10) ticks.push(tick);
    return ticks;
  }
  return [0, 1, 2, 3, 4, 5].map((step) => (top * step) / 5);
}

/** The smallest 1/2/5 × 10^n at or above `value`, so the linear axis ends on a round number. */
function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

const trimNumber = (value: number): string => String(Number(value.toPrecision(3)));
const fixed = (value: number): string => value.toFixed(1);
const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
