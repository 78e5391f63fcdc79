/** The matrix's pure parts: checks, matrix.md, the README table, per-CPU counters, spreading streams. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { POD_COUNTERS } from "../../../src/bpf/index.js";
import { cpusUsed, packetsPerCpu } from "./cpus-used.js";
import { judgeMatrixKernel, matrixMarkdown, README_BEGIN, README_END, supportedKernelsTable, withSupportedKernels, type MatrixKernel, type MatrixRow } from "./matrix-rows.js";
import { addIntervals, streamsPerClient } from "./measure-core.js";

const row = (overrides: Partial<MatrixRow>): MatrixRow => ({
  scenario: "egress 10M", limitBitsPerSec: 10e6, streams: 1, cpusUsed: 1, wireRatio: 0.9991, goodputRatio: 0.955,
  maxOneSecondBitsPerSec: 9.6e6, fqThrottled: 4000, horizonDrops: 0, pingP99Ms: 1.2, ...overrides,
});
const kernel = (rows: MatrixRow[], cpus = 2): MatrixKernel => ({ name: "qemu-5.10", release: "5.10.0-32-cloud-amd64", cpus, jit: true, btf: true, edtAvailable: true, rows });

describe("kernel matrix", () => {
  it("keeps the JSON to issue 13's fields", () => {
    assert.deepEqual(Object.keys(kernel([])), ["name", "release", "cpus", "jit", "btf", "edtAvailable", "rows"]);
    assert.deepEqual(Object.keys(row({})), ["scenario", "limitBitsPerSec", "streams", "cpusUsed", "wireRatio", "goodputRatio", "maxOneSecondBitsPerSec", "fqThrottled", "horizonDrops", "pingP99Ms"]);
  });

  it("judges the 0.5% wire target apart from the behaviour a loaded machine still shows", () => {
    const verdicts = judgeMatrixKernel(kernel([row({ wireRatio: 0.99 })]));
    assert.deepEqual(verdicts.filter((verdict) => !verdict.pass).map((verdict) => [verdict.kind, verdict.check]), [["target", "wire rate 0.995-1.005 of the limit"]]);
    const policed = judgeMatrixKernel(kernel([row({ fqThrottled: 0, maxOneSecondBitsPerSec: 20e6 })])).filter((verdict) => !verdict.pass);
    assert.deepEqual(policed.map((verdict) => verdict.check), ["no 1-s interval above 1.5x the limit", "fq throttled > 0 (paced, not policed)"]);
  });

  it("asks several streams on several CPUs to have run on every CPU, and removal to leave the Pod unlimited", () => {
    const one = judgeMatrixKernel(kernel([row({ scenario: "egress 10M 8 streams", streams: 8, cpusUsed: 1 })]));
    assert.equal(one.find((verdict) => verdict.check.startsWith("the program ran on every CPU"))?.pass, false);
    const removed = judgeMatrixKernel(kernel([row({ scenario: "annotation removed", limitBitsPerSec: null, wireRatio: null, fqThrottled: null, maxOneSecondBitsPerSec: 400e6 })]));
    assert.equal(removed.find((verdict) => verdict.scenario === "annotation removed")?.pass, true);
  });

  it("renders matrix.md with a summary line per kernel and every row", () => {
    const matrix = { kernels: [kernel([row({}), row({ scenario: "egress 10M 8 streams", streams: 8, cpusUsed: 2 })])] };
    const text = matrixMarkdown(matrix, judgeMatrixKernel(matrix.kernels[0]!), { "qemu-5.10": { bootMs: 4400, wallMs: 300_000, accelerator: "qemu, software emulation (TCG)" } }, "context");
    assert.match(text, /\| qemu-5\.10 \| 5\.10\.0-32-cloud-amd64 \| 2 \| yes \| yes \| available \| qemu, software emulation \(TCG\) \| 4\.4 s \| 300 s \|/);
    assert.match(text, /\| egress 10M 8 streams \| 10\.00 \| 8 \| 2 \| 0\.9991 \|/);
    assert.match(text, /PASS \[target\] qemu-5\.10 \/ egress 10M: wire rate/);
  });

  it("makes the README's table from what was measured and puts it between the markers", () => {
    const table = supportedKernelsTable({ kernels: [kernel([row({}), row({ wireRatio: 1.0021, limitBitsPerSec: 100e6 }), row({ scenario: "egress 10M 8 streams", streams: 8, cpusUsed: 2, wireRatio: 0.9987 })])] });
    assert.match(table, /\| 5\.10\.0-32-cloud-amd64 \| qemu-5\.10 \| 2 \| yes \/ yes \| available \| 10M, 100M \| 0\.9987–1\.0021 \| 2 of 2, 0\.9987 \| 3 of 3 \|/);
    const readme = `# x\n${README_BEGIN}\nold\n${README_END}\nrest\n`;
    assert.equal(withSupportedKernels(readme, "T"), `# x\n${README_BEGIN}\nT\n${README_END}\nrest\n`);
    assert.throws(() => withSupportedKernels("# x\n", "T"), /no .* section/);
  });

  it("counts the CPUs whose per-CPU packet slot grew", () => {
    const stride = Math.ceil(POD_COUNTERS.size / 8) * 8;
    const value = Buffer.alloc(stride * 3);
    value.writeBigUInt64LE(5n, 0);
    value.writeBigUInt64LE(7n, stride * 2);
    assert.deepEqual(packetsPerCpu(value, 3), [5n, 0n, 7n]);
    assert.deepEqual(cpusUsed([5n, 0n, 7n], [15n, 0n, 37n]), { cpus: 2, shares: [0.25, 0, 0.75] });
    assert.deepEqual(cpusUsed([], [0n, 0n]), { cpus: 0, shares: [0, 0] });
  });

  it("spreads streams over one client per CPU and adds their seconds", () => {
    assert.deepEqual(streamsPerClient(8, 2), [4, 4]);
    assert.deepEqual(streamsPerClient(8, 3), [3, 3, 2]);
    assert.deepEqual(streamsPerClient(1, 4), [1]);
    assert.deepEqual(streamsPerClient(8, 1), [8]);
    const run = (seconds: number[]) => ({ intervalBitsPerSec: seconds }) as never;
    assert.deepEqual(addIntervals([run([1, 2, 3]), run([10, 20])]), [11, 22]);
  });
});
