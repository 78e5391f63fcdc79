/**
 * The EDT program under BPF_PROG_TEST_RUN on the host kernel, for tests and the datapath benchmark: a
 * private bpffs with the pinned maps, program instances per (identity, direction) with their config
 * written, and reads of the timeline the program keeps. Everything is closed by close().
 */
import { BpfMap, testRunProgram, type TestRunResult } from "../bpf.js";
import { openEdtMaps, type EdtMaps } from "../edt-maps.js";
import {
  EDT_DIRECTION_EGRESS,
  EDT_MAPS,
  emptyPodConfig,
  encodePodKey,
  POD_TIMELINE,
  type EdtDirectionIndex,
  type PodConfig,
  type PodCounters,
} from "../edt-layout.js";
import { loadEdtInstance, pinnedMapPath, type EdtInstance } from "../edt-program.js";
import { decodeStruct, encodeStruct } from "../struct-codec.js";
import { mountPrivateBpffs, type PrivateBpffs } from "./bpffs.js";

export const SECOND = 1_000_000_000n;

export interface PodTimeline {
  allTNs: bigint;
  externalTNs: bigint;
  bypassCreditNs: bigint;
  bypassRefillNs: bigint;
}

export interface PodUnderTest {
  identity: number;
  direction: EdtDirectionIndex;
  programFd: number;
  run(frame: Buffer, extra?: { tstamp?: bigint; wireLen?: number; repeat?: number }): TestRunResult;
  config(patch: Partial<PodConfig>): void;
  counters(): PodCounters;
  timeline(): PodTimeline;
  setTimeline(patch: Partial<PodTimeline>): void;
}

export class EdtHarness {
  readonly bpffs: PrivateBpffs;
  maps: EdtMaps;
  private timelines: BpfMap;
  private readonly instances: EdtInstance[] = [];
  private nextIdentity = 100;

  constructor(objectPath?: string) {
    this.bpffs = mountPrivateBpffs();
    const objectOption = objectPath === undefined ? {} : { objectPath };
    this.instances.push(loadEdtInstance({ pinRoot: this.bpffs.path, identity: 0, direction: EDT_DIRECTION_EGRESS, ...objectOption }));
    this.maps = openEdtMaps(this.bpffs.path);
    this.timelines = BpfMap.openPinned(pinnedMapPath(this.bpffs.path, EDT_MAPS.podTimeline));
  }

  /** A fresh Pod entry with `config` (2 s horizon unless given) and its own program instance. */
  pod(direction: EdtDirectionIndex, config: Partial<PodConfig>, options: { useSetTstamp?: boolean; identity?: number } = {}): PodUnderTest {
    const identity = options.identity ?? this.nextIdentity++;
    const instance = loadEdtInstance({
      pinRoot: this.bpffs.path, identity, direction, ...(options.useSetTstamp === undefined ? {} : { useSetTstamp: options.useSetTstamp }),
    });
    this.instances.push(instance);
    let current: PodConfig = { ...emptyPodConfig(), horizonNs: 2n * SECOND, ...config };
    this.maps.writePod(identity, direction, current, true);
    const key = encodePodKey(identity, direction);
    const readTimeline = (): PodTimeline => decodeStruct(POD_TIMELINE, this.timelines.lookup(key)!) as unknown as PodTimeline;
    return {
      identity,
      direction,
      programFd: instance.programFd,
      run: (frame, extra = {}) => testRunProgram(instance.programFd, { data: frame, ...extra }),
      config: (patch) => {
        current = { ...current, ...patch };
        this.maps.writePod(identity, direction, current, false);
      },
      counters: () => this.maps.readPod(identity, direction).counters,
      timeline: readTimeline,
      setTimeline: (patch) => {
        this.timelines.update(key, encodeStruct(POD_TIMELINE, { ...readTimeline(), ...patch }));
      },
    };
  }

  /** Closes every handle and reopens the maps from their pins (a simulated agent restart). */
  restart(): void {
    this.closeHandles();
    this.maps = openEdtMaps(this.bpffs.path);
    this.timelines = BpfMap.openPinned(pinnedMapPath(this.bpffs.path, EDT_MAPS.podTimeline));
  }

  close(): void {
    this.closeHandles();
    this.bpffs.remove();
  }

  private closeHandles(): void {
    this.timelines.close();
    this.maps.close();
    for (const instance of this.instances.splice(0)) instance.object.close();
  }
}
