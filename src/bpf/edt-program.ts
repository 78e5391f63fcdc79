/**
 * Loads one instance of pacer's EDT program (bpf/edt.bpf.c) for one Pod attachment: identity and direction
 * go into .rodata before load; the maps are shared through their pins under `pinRoot` (created by the first
 * load, reused by every later one and by the next agent run).
 */
import { join } from "node:path";
import { BpfObject, BPF_FUNC_skb_set_tstamp, probeTcHelper } from "./bpf.js";
import { EDT_MAX_IDENTITY, EDT_PROGRAM_NAME, type EdtDirectionIndex } from "./edt-layout.js";
import { BpfError } from "./errors.js";
import { repositoryRoot } from "./native-binding.js";

export const defaultEdtObjectPath = join(repositoryRoot, "build/bpf/edt.bpf.o");

export interface EdtInstanceOptions {
  objectPath?: string;
  /** A directory on a bpffs; the maps are pinned here by name (edt-layout.ts, EDT_MAPS). */
  pinRoot: string;
  /** 0 loads an instance that only creates/reuses the map (no Pod has identity 0). */
  identity: number;
  direction: EdtDirectionIndex;
  /** Defaults to probing the kernel for bpf_skb_set_tstamp. */
  useSetTstamp?: boolean;
}

export interface EdtInstance {
  object: BpfObject;
  /** Borrowed from `object`: valid until object.close(). */
  programFd: number;
}

let setTstampSupported: boolean | undefined;

/** bpf_skb_set_tstamp exists since v5.18; on older kernels the program writes skb->tstamp directly. */
export function kernelHasSetTstamp(): boolean {
  setTstampSupported ??= probeTcHelper(BPF_FUNC_skb_set_tstamp);
  return setTstampSupported;
}

export function pinnedMapPath(pinRoot: string, mapName: string): string {
  return join(pinRoot, mapName);
}

export function loadEdtInstance(options: EdtInstanceOptions): EdtInstance {
  if (!Number.isInteger(options.identity) || options.identity < 0 || options.identity > EDT_MAX_IDENTITY) {
    throw new BpfError("INVALID_ARGUMENT", `load EDT program: identity ${options.identity} outside 0..${EDT_MAX_IDENTITY}`);
  }
  const object = BpfObject.open(options.objectPath ?? defaultEdtObjectPath, options.pinRoot);
  try {
    object
      .setRodataU32("pod_identity", options.identity)
      .setRodataU32("direction", options.direction)
      .setRodataU8("use_set_tstamp", (options.useSetTstamp ?? kernelHasSetTstamp()) ? 1 : 0)
      .load();
    return { object, programFd: object.programFd(EDT_PROGRAM_NAME) };
  } catch (error) {
    object.close();
    throw error;
  }
}
