/**
 * The ClusterWide budget protocol's Kubernetes I/O (Lease, BandwidthNodes, the budget summary) through one
 * suite (cluster-budgets-io-suite.ts), against the API-server TEST DOUBLE and a REAL kube-apiserver with
 * etcd (the chart's CRDs applied, pacer's ServiceAccount under the chart's ClusterRole and Role).
 */
import { describe } from "node:test";
import { requirePrerequisites } from "../../src/testing/prerequisites.js";
import { clusterToolsMissing } from "../cluster/tools.js";
import { startDoubleBackend } from "./backend.js";
import { startClusterBackend } from "./cluster-backend.js";
import { clusterBudgetsIoSuite } from "./cluster-budgets-io-suite.js";

describe("ClusterWide budget I/O against the API-server test double", () => clusterBudgetsIoSuite(startDoubleBackend));

describe("ClusterWide budget I/O against a real kube-apiserver and etcd", { skip: requirePrerequisites([clusterToolsMissing()]) }, () =>
  clusterBudgetsIoSuite(startClusterBackend));
