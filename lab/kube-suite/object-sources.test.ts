/**
 * The Node, ServiceCIDR and BandwidthBudget sources and the budget status writer through one suite
 * (object-sources-suite.ts), run against the Kubernetes API-server TEST DOUBLE (lab/apiserver-double) and a
 * REAL kube-apiserver with etcd (the chart's CRD applied, pacer's ServiceAccount under the chart's
 * ClusterRole); plus what only the double can do: a server without the ServiceCIDR API.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { requirePrerequisites } from "../../src/testing/prerequisites.js";
import { ApiAccess } from "../../src/kube/api/access.js";
import { createServiceCidrRangeSource, SERVICE_CIDRS_NOT_SERVED } from "../../src/kube/range-informers.js";
import { startApiServerDouble } from "../apiserver-double/index.js";
import { clusterToolsMissing } from "../cluster/tools.js";
import { startDoubleBackend } from "./backend.js";
import { startClusterBackend } from "./cluster-backend.js";
import { objectSourcesSuite } from "./object-sources-suite.js";
import { until } from "./informer-suite.js";

describe("Node, ServiceCIDR and BandwidthBudget sources against the API-server test double", () => objectSourcesSuite(startDoubleBackend));

describe("Node, ServiceCIDR and BandwidthBudget sources against a real kube-apiserver and etcd", { skip: requirePrerequisites([clusterToolsMissing()]) }, () =>
  objectSourcesSuite(startClusterBackend));

describe("ServiceCIDR source on a server without the API (the test double; a real 1.35 always serves it)", () => {
  it("says so once in the log, leaves pacer status alone, and picks the API up once served", async () => {
    const apiserver = await startApiServerDouble();
    const lines: string[] = [];
    const access = new ApiAccess();
    apiserver.setServed("servicecidrs", false);
    const source = createServiceCidrRangeSource({
      kubeconfig: await apiserver.writeKubeconfig(), access, log: (line) => lines.push(line), notServedBackoff: { initialMilliseconds: 50, maxMilliseconds: 200 },
    });
    const ranges = new Map<string, readonly string[]>();
    try {
      await source.start((name, prefixes) => ranges.set(name, prefixes));
      await new Promise((resolve) => setTimeout(resolve, 600)); // several retries
      assert.deepEqual(lines.filter((line) => line.includes(SERVICE_CIDRS_NOT_SERVED)).length, 1, lines.join(" | "));
      assert.match(SERVICE_CIDRS_NOT_SERVED, /--internal-cidrs/);
      assert.deepEqual(access.problems(), [], "not a problem to act on where --internal-cidrs lists the range");
      apiserver.setServed("servicecidrs", true);
      await until("the default ServiceCIDR", () => ranges.has("ServiceCIDR kubernetes"), () => lines.join(" | "));
      assert.deepEqual(ranges.get("ServiceCIDR kubernetes"), ["10.0.0.0/24"]);
    } finally {
      await source.stop();
      await apiserver.close();
    }
  });
});
