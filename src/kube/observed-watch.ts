/**
 * client-node's Watch (dist/watch.js) with what the object informer needs around each watch request: a hook
 * before it connects (the list, if any, has been applied by then; a stopped informer does not connect),
 * timeoutSeconds and a watchdog so a half-open connection cannot hang forever, each object slimmed before
 * it reaches the cache, and the outcome reported (a watch refused before its stream opened is a problem for
 * `pacer status`; 410 Gone only means "list again").
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { Watch } from "@kubernetes/client-node/dist/watch.js";
import { statusCodeOf } from "./api/access.js";
import type { ApiConnection } from "./api/connection.js";

export const randomBetween = (low: number, high: number): number => low + Math.random() * (high - low);

export interface WatchReports {
  /** Called before each watch request; false: do not connect. */
  beforeWatch(): boolean;
  /** The watch was refused before its stream opened (not 410). */
  refused(error: unknown): void;
  /** The watch's stream opened. */
  opened(): void;
  /** Applied to every object a watch delivers (not to ERROR Status objects). */
  slim?(object: unknown): unknown;
}

export class ObservedWatch extends Watch {
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    connection: ApiConnection,
    private readonly reports: WatchReports,
  ) {
    // Watch reads only getCurrentCluster() and applyToFetchOptions() from its config (dist/watch.js)
    super(connection as unknown as KubeConfig);
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.clearWatchdog();
    if (!this.reports.beforeWatch()) return new AbortController(); // stopped while listing: do not connect
    // 5 to 10 minutes, as client-go's reflector asks: the server ends the watch and we re-watch from there
    const timeoutSeconds = Math.round(randomBetween(300, 600));
    let opened = false;
    let refused = false;
    const reportingDone = (error: unknown) => {
      if (error && !opened && statusCodeOf(error) !== 410) {
        refused = true;
        this.reports.refused(error);
      }
      done(error);
    };
    const slim = this.reports.slim;
    const slimming = slim ? (phase: string, object: unknown) => callback(phase, phase === "ERROR" ? object : slim(object)) : callback;
    const controller = await super.watch(path, { ...queryParams, timeoutSeconds }, slimming, reportingDone);
    opened = true;
    if (!refused) this.reports.opened();
    this.watchdog = setTimeout(() => controller.abort(), (timeoutSeconds + 60) * 1000);
    this.watchdog.unref();
    return controller;
  }

  clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }
}
