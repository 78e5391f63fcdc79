/** The demo chart: one polyline per run, the limit drawn at the right height, well-formed SVG. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatRate, renderThroughputChart } from "./chart.js";

const seconds = (count: number, rate: number) =>
  Array.from({ length: count }, (_, index) => ({ seconds: index + 1, bitsPerSec: rate }));

describe("renderThroughputChart", () => {
  it("draws one line per run and one dashed limit per limited run", () => {
    const svg = renderThroughputChart(
      [
        { label: "limited 10M", limitBitsPerSec: 10e6, points: seconds(10, 9.5e6) },
        { label: "unlimited", limitBitsPerSec: null, points: seconds(10, 3e9) },
      ],
      { title: "netperf-server → netperf-client" },
    );
    assert.equal(svg.match(/<polyline class="run"/g)?.length, 2);
    assert.equal(svg.match(/<line class="limit"/g)?.length, 1);
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    assert.match(svg, /limit 10M/);
    assert.match(svg, /bit\/s \(log\)/, "a 10M and a 3G run share a log axis");
    assert.match(svg, /netperf-server → netperf-client/);
  });

  it("places a limited run just under its limit line", () => {
    const svg = renderThroughputChart([{ label: "r", limitBitsPerSec: 10e6, points: seconds(5, 9.5e6) }], {
      title: "t",
      logScale: false,
    });
    const limitY = Number(/<line class="limit"[^>]* y1="([\d.]+)"/.exec(svg)?.[1]);
    const runY = Number(/<polyline class="run" points="[\d.]+,([\d.]+)/.exec(svg)?.[1]);
    assert.ok(runY > limitY, `the run (y=${runY}) is drawn below the limit (y=${limitY})`);
    assert.ok(runY - limitY < 20, "and close to it: 9.5M against 10M on a 0..10M axis");
  });

  it("escapes labels", () => {
    const svg = renderThroughputChart([{ label: "<a&b>", limitBitsPerSec: null, points: seconds(2, 1e6) }], {
      title: "x",
    });
    assert.match(svg, /&lt;a&amp;b&gt;/);
  });
});

describe("formatRate", () => {
  it("uses decimal SI prefixes like the annotation", () => {
    assert.equal(formatRate(10_000_000), "10M");
    assert.equal(formatRate(9_540_000), "9.54M");
    assert.equal(formatRate(1e9), "1G");
    assert.equal(formatRate(500), "500");
  });
});
