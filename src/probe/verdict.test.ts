/** The verdict, pure: which missing feature keeps EDT off, which reason wins, what the operator reads. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseKernelConfig, parseKernelRelease, type KernelConfig } from "./kernel-facts.js";
import { probeEdt, type KernelProbes } from "./index.js";
import { contradictedProbes, PROBED_FEATURES, type Observation, type Observations, type ProbedFeature } from "./requirements.js";
import { buildReport, formatReport } from "./verdict.js";

const present: Observation = { state: "present", note: "did it" };
const allPresent = (): Observations =>
  Object.fromEntries(PROBED_FEATURES.map((feature) => [feature, present])) as Observations;
const with_ = (changes: Partial<Record<ProbedFeature, Observation>>): Observations => ({ ...allPresent(), ...changes });
const fqUnknown: Observation = { state: "absent", note: "tc: Specified qdisc kind is unknown" };
const config = (text: string): KernelConfig => parseKernelConfig(text, "/proc/config.gz");
const check = (report: ReturnType<typeof buildReport>, name: string) => {
  const found = report.checks.find((entry) => entry.name === name);
  assert.ok(found, `a check named "${name}"`);
  return found;
};

describe("EDT verdict", () => {
  it("is available when every required feature is present, even with advisory ones missing", () => {
    const absent: Observation = { state: "absent", note: "no such file" };
    const report = buildReport({
      release: "6.1.0-uml",
      config: null,
      observations: with_({ bpfJit: absent, afAlgHash: absent, schedstats: absent, perfEvents: absent, cgroup2: absent }),
    });
    assert.deepEqual(report.edt, { available: true, reason: null });
    assert.equal(check(report, "BPF JIT").ok, false);
    assert.match(check(report, "BPF JIT").detail, /EDT works without it/);
    assert.match(formatReport(report), /\nEDT: available$/);
  });

  it("is unavailable on a kernel built without fq, and says which option and what to do", () => {
    const report = buildReport({ release: "6.18.44", config: config("# CONFIG_NET_SCH_FQ is not set\n"), observations: with_({ fq: fqUnknown }) });
    assert.equal(report.edt.available, false);
    assert.equal(report.edt.reason, "fq qdisc missing: the kernel has no CONFIG_NET_SCH_FQ (needs a kernel built with it)");
    assert.equal(
      check(report, "fq qdisc").detail,
      "the kernel has no fq qdisc (CONFIG_NET_SCH_FQ is not set; tc: Specified qdisc kind is unknown); " +
        "use a kernel built with CONFIG_NET_SCH_FQ=y or =m",
    );
    assert.match(formatReport(report), /^fq qdisc: MISSING — the kernel has no fq qdisc/m);
    assert.match(formatReport(report), /\nEDT: unavailable — fq qdisc missing: /);
  });

  it("says modprobe when fq is a module that is not loaded", () => {
    const report = buildReport({ release: "6.1.0", config: config("CONFIG_NET_SCH_FQ=m\n"), observations: with_({ fq: fqUnknown }) });
    assert.equal(report.edt.reason, "fq qdisc missing: CONFIG_NET_SCH_FQ=m but the module is not loaded (try `modprobe sch_fq`)");
    assert.match(check(report, "fq qdisc").detail, /load the module: `modprobe sch_fq`$/);
  });

  it("says 'probed instead' when the config cannot be read, and suggests both remedies", () => {
    const report = buildReport({ release: "6.1.0", config: null, observations: with_({ fq: fqUnknown }) });
    assert.match(check(report, "kernel config").detail, /config not readable.*probed instead/);
    assert.equal(report.edt.reason, "fq qdisc missing: the kernel has no CONFIG_NET_SCH_FQ (try `modprobe sch_fq`)");
    assert.match(check(report, "fq qdisc").detail, /load it with `modprobe sch_fq` or use a kernel built with CONFIG_NET_SCH_FQ/);
  });

  it("blames the most basic missing feature first and lists the rest", () => {
    const refused: Observation = { state: "absent", note: "libbpf: Error in bpf_object__probe_loading()" };
    const report = buildReport({
      release: "6.1.0",
      config: config("CONFIG_BPF_SYSCALL=y\n"),
      observations: with_({ fq: fqUnknown, bpfSyscall: refused, tcTstamp: { state: "unprobed", note: "needs bpf()" } }),
    });
    assert.equal(
      report.edt.reason,
      "bpf() syscall missing: the kernel refused to load a trivial BPF program " +
        "(run as root (CAP_BPF + CAP_NET_ADMIN) and check `ulimit -l` on kernels before 5.11); " +
        "also not OK: tc BPF sets skb->tstamp, fq qdisc",
    );
  });

  it("prefers a feature the kernel refused over one it could not probe", () => {
    const report = buildReport({
      release: "6.1.0",
      config: null,
      observations: with_({ bpfSyscall: { state: "unprobed", note: "tc timed out" }, fq: fqUnknown }),
    });
    assert.match(report.edt.reason ?? "", /^fq qdisc missing: .*; also not OK: bpf\(\) syscall$/);
  });

  it("never reads 'could not probe' as 'missing'", () => {
    const report = buildReport({
      release: "6.1.0",
      config: null,
      observations: with_({
        clsact: { state: "unprobed", note: "ip netns add: Operation not permitted (run as root)" },
        clsBpf: { state: "unprobed", note: "needs the clsact qdisc" },
      }),
    });
    assert.equal(
      report.edt.reason,
      "could not probe clsact qdisc: ip netns add: Operation not permitted (run as root); also not OK: cls_bpf tc filter",
    );
    assert.equal(check(report, "clsact qdisc").detail, "could not probe: ip netns add: Operation not permitted (run as root)");
  });

  it("reports a skb->tstamp refusal with the verifier's words and the kernel to use", () => {
    const report = buildReport({
      release: "4.19.0",
      config: null,
      observations: with_({ tcTstamp: { state: "absent", note: "verifier: invalid bpf_context access off=152 size=8" } }),
    });
    assert.equal(check(report, "kernel version").ok, false);
    assert.match(check(report, "kernel version").detail, /4\.19\.0 is older than 5\.1/);
    assert.match(check(report, "tc BPF sets skb->tstamp").detail, /invalid bpf_context access off=152.*use kernel 5\.1 or newer/);
    assert.equal(
      report.edt.reason,
      "tc BPF sets skb->tstamp missing: the verifier refused a tc program that writes skb->tstamp (use kernel 5.1 or newer)",
    );
  });

  it("lists the seed's config options that are not set", () => {
    const report = buildReport({
      release: "6.18.44",
      config: config("CONFIG_BPF=y\n# CONFIG_NET_SCH_FQ is not set\nCONFIG_SCHEDSTATS=n\n"),
      observations: allPresent(),
    });
    const detail = check(report, "kernel config").detail;
    assert.match(detail, /^\/proc\/config\.gz: not set: /);
    assert.match(detail, /CONFIG_SCHEDSTATS/);
    assert.match(detail, /CONFIG_NET_SCH_FQ/);
    assert.doesNotMatch(detail, /CONFIG_BPF,/);
  });

  it("has one line per check plus the verdict, in a fixed order", () => {
    const report = buildReport({ release: "6.1.0", config: null, observations: allPresent() });
    assert.equal(report.checks.length, 2 + PROBED_FEATURES.length);
    assert.deepEqual(Object.keys(report), ["edt", "checks"]);
    // name, ok, detail always; since where the feature has an origin; degraded only when not OK.
    for (const entry of report.checks) assert.deepEqual(Object.keys(entry).filter((key) => key !== "since"), ["name", "ok", "detail"]);
    assert.equal(formatReport(report).split("\n").length, report.checks.length + 1);
  });
});

describe("probeEdt with injected probes (a test double for the kernel)", () => {
  it("combines host and tc observations and reads the config for the release it was given", async () => {
    const releasesAsked: string[] = [];
    const fakeKernel: KernelProbes = {
      kernelRelease: () => "6.1.0-test",
      kernelConfig: (release) => {
        releasesAsked.push(release);
        return config("CONFIG_NET_SCH_FQ=m\n");
      },
      hostFeatures: async () => {
        const { bpfSyscall, clsact, clsBpf, tcTstamp, fq, gsoCap, ...host } = allPresent();
        return host;
      },
      tcFeatures: async () => ({ bpfSyscall: present, clsact: present, clsBpf: present, tcTstamp: present, fq: fqUnknown, gsoCap: present }),
    };
    const report = await probeEdt({ probes: fakeKernel });
    assert.deepEqual(releasesAsked, ["6.1.0-test"]);
    assert.equal(report.edt.available, false);
    assert.match(report.edt.reason ?? "", /modprobe sch_fq/);
  });
});

describe("where each probe's feature comes from", () => {
  it("every check names its release and commit; a missing helper that only degrades says what pacer does instead", () => {
    const absent = { state: "absent" as const, note: "the verifier does not know bpf_skb_set_tstamp" };
    const report = buildReport({ release: "5.10.0", config: null, observations: { ...allPresent(), setTstamp: absent } });
    assert.equal(report.edt.available, true, "EDT works without it");
    const check = report.checks.find((entry) => entry.name === "bpf_skb_set_tstamp helper");
    assert.deepEqual([check?.ok, check?.degraded, check?.since], [false, true, "5.18 (9bb984f28d5b)"]);
    assert.match(formatReport(report), /bpf_skb_set_tstamp helper: DEGRADED — .*writes skb->tstamp directly.* \[Linux 5\.18 \(9bb984f28d5b\)\]/);
    assert.equal(report.checks.find((entry) => entry.name === "fq qdisc")?.since, "4.20 (fb420d5d91c1)");
  });

  it("a probe that finds a feature absent on a kernel newer than its origin is contradicted, unless the config explains it", () => {
    const absent = { state: "absent" as const, note: "refused" };
    const observations = { ...allPresent(), setTstamp: absent, tcTstamp: absent, fq: absent };
    assert.deepEqual(contradictedProbes(parseKernelRelease("5.10.0"), null, observations).map((line) => line.split(":")[0]), ["tc BPF sets skb->tstamp", "fq qdisc"]);
    assert.deepEqual(contradictedProbes(parseKernelRelease("6.12.0"), null, observations).map((line) => line.split(":")[0]), ["tc BPF sets skb->tstamp", "fq qdisc", "bpf_skb_set_tstamp helper"]);
    assert.deepEqual(contradictedProbes(parseKernelRelease("6.12.0"), config("# CONFIG_NET_SCH_FQ is not set\n"), { ...allPresent(), fq: absent }), [], "built without fq");
    assert.deepEqual(contradictedProbes(parseKernelRelease("4.19.0"), null, { ...allPresent(), fq: absent }), [], "older than fq's EDT");
  });
});
