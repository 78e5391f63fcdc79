/**
 * The agent in Kubernetes mode with its BandwidthBudget, Node and ServiceCIDR sources through one suite
 * (agent-sources-suite.ts), run against the Kubernetes API-server TEST DOUBLE (lab/apiserver-double) and a
 * REAL kube-apiserver with etcd (the chart's CRD applied, the agent as pacer's ServiceAccount under the
 * chart's ClusterRole).
 */
import { describe } from "node:test";
import { requirePrerequisites } from "../../src/testing/prerequisites.js";
import { clusterToolsMissing } from "../cluster/tools.js";
import { agentSourcesSuite } from "./agent-sources-suite.js";
import { startDoubleBackend } from "./backend.js";
import { startClusterBackend } from "./cluster-backend.js";

describe("agent budgets and ranges from the API-server test double", () => agentSourcesSuite(startDoubleBackend));

describe("agent budgets and ranges from a real kube-apiserver and etcd", { skip: requirePrerequisites([clusterToolsMissing()]) }, () =>
  agentSourcesSuite(startClusterBackend));
