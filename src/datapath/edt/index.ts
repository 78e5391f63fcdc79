/** The EDT datapath's public surface: open it; everything else is internal to this folder. */
export { openEdtDatapath, type EdtDatapathOptions } from "./open.js";
export { PACER_TC_HANDLE, PACER_TC_PRIORITY } from "./kernel-ops.js";
