/** Measurement helpers: iperf3 goodput and per-second rates, ping percentiles, fq/qdisc counters, measured streams. */
export * from "./iperf3.js";
export * from "./ping.js";
export * from "./fq-stats.js";
export * from "./stream.js";
