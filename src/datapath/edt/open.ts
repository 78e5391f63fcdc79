/**
 * Opening the EDT datapath: a bpffs for the pins (mounted here when the directory is not one yet, as
 * Cilium does), the shared maps (created by loading the program once for identity 0, which no Pod has, or
 * reused from their pins), the state file, and this run's settings applied to what a previous run left.
 */
import { existsSync, mkdirSync } from "node:fs";
import {
  BpfError, EDT_DIRECTION_EGRESS, EDT_MAPS, isBpffs, loadEdtInstance, mountBpffs, openEdtMaps, pinnedMapPath, type FqOptions,
} from "../../bpf/index.js";
import type { Datapath } from "../datapath.js";
import { EdtDatapath } from "./edt-datapath.js";
import { step } from "./kernel-ops.js";
import { LimitRecords } from "./limit-records.js";

export interface EdtDatapathOptions {
  /** A bpffs directory for pacer's pins. */
  bpffsDir: string;
  /** Where the state file lives (replaced qdiscs, identities, budget slots). */
  stateDir: string;
  /** Packets further than this in the future are dropped; default 2 s (Cilium's fq horizon). */
  horizonNs?: bigint | number;
  /** Ingress only: CE-mark ECT packets departing further than this in the future; default 10 ms. */
  ingressEcnThresholdNs?: bigint | number;
  objectPath?: string;
  /** fq's bucket count; its packet limits follow the rate (pacing-parameters.ts) and the horizon is ours. */
  fq?: Pick<FqOptions, "bucketsLog">;
  /**
   * Flow isolation inside each Pod's limit (docs/design.md, "Flow isolation"): a flow with nothing pending
   * leaves at once. Default true; false keeps one departure timeline per Pod, as pacer 0.1 did.
   */
  flowIsolation?: boolean;
  /**
   * Egress: cap the Pod interface's gso_max_size to ~1 ms of the limit while limited (gso-cap.ts), restored on
   * removal. Takes effect for connections opened after the limit. Default true.
   */
  capEgressGso?: boolean;
}

const DEFAULT_HORIZON_NS = 2_000_000_000n;
const DEFAULT_INGRESS_ECN_THRESHOLD_NS = 10_000_000n;

function ensureBpffs(bpffsDir: string): void {
  mkdirSync(bpffsDir, { recursive: true, mode: 0o700 });
  if (isBpffs(bpffsDir)) return;
  step(`mount bpffs at ${bpffsDir} (or mount it yourself: mount -t bpf bpf ${bpffsDir})`, () => mountBpffs(bpffsDir));
}

export async function openEdtDatapath(options: EdtDatapathOptions): Promise<Datapath> {
  ensureBpffs(options.bpffsDir);
  const records = new LimitRecords(options.stateDir);
  const objectOption = options.objectPath ? { objectPath: options.objectPath } : {};
  if (Object.values(EDT_MAPS).some((name) => !existsSync(pinnedMapPath(options.bpffsDir, name)))) {
    const creator = step("create the EDT maps", () => loadEdtInstance({ pinRoot: options.bpffsDir, identity: 0, direction: EDT_DIRECTION_EGRESS, ...objectOption }));
    creator.object.close();
  }
  const maps = step(`open the pinned maps under ${options.bpffsDir}`, () => {
    try {
      return openEdtMaps(options.bpffsDir);
    } catch (error) {
      throw error instanceof BpfError && error.code === "INVALID_ARGUMENT" ? new BpfError("KERNEL_REFUSED", error.message) : error;
    }
  });
  const datapath = new EdtDatapath(
    {
      bpffsDir: options.bpffsDir,
      ...objectOption,
      ...(options.fq ? { fq: options.fq } : {}),
      horizonNs: BigInt(options.horizonNs ?? DEFAULT_HORIZON_NS),
      ingressEcnThresholdNs: BigInt(options.ingressEcnThresholdNs ?? DEFAULT_INGRESS_ECN_THRESHOLD_NS),
      flowIsolation: options.flowIsolation !== false,
      capEgressGso: options.capEgressGso !== false,
    },
    records,
    maps,
  );
  try {
    datapath.adoptSettings();
  } catch (error) {
    await datapath.close();
    throw error;
  }
  return datapath;
}
