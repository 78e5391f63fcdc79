/** Measurement helpers: iperf3 and netperf, ping percentiles, fq/qdisc counters and wire rates, fairness, CPU, measured streams. */
export * from "./iperf3.js";
export * from "./ping.js";
export * from "./fq-stats.js";
export * from "./stream.js";
export * from "./netperf.js";
export * from "./wire-rate.js";
export * from "./fairness.js";
export * from "./cpu.js";
