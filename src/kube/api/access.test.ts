/**
 * ApiAccess: failures kept per request kind with what to do (403 names the verb to grant), the first failure's
 * time kept while it keeps failing, a success clearing it; the status code read from every error shape.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiAccess, actionFor, statusCodeOf } from "./access.js";
import { KubeApiError } from "./request.js";

describe("ApiAccess", () => {
  it("keeps one problem per verb and resource, since its first failure, until that request succeeds", () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const access = new ApiAccess(() => new Date(now));
    const forbidden = new KubeApiError(403, { message: 'pods is forbidden: User "x" cannot list resource "pods"' }, "GET /api/v1/pods");
    access.failed("list", "pods", forbidden, "HTTP 403: pods is forbidden");
    now += 5000;
    access.failed("list", "pods", forbidden, "HTTP 403: pods is forbidden");
    access.failed("create", "events", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "ECONNREFUSED");
    const [list, create, ...others] = access.problems();
    assert.equal(others.length, 0);
    assert.deepEqual(list, {
      verb: "list", resource: "pods", statusCode: 403, message: "HTTP 403: pods is forbidden", since: "2026-01-01T00:00:00.000Z",
      action: actionFor("list", "pods", 403),
    });
    assert.equal(create?.statusCode, null);
    access.succeeded("list", "pods");
    assert.deepEqual(access.problems().map((problem) => `${problem.verb} ${problem.resource}`), ["create events"]);
  });

  it("says what to do for each kind of failure", () => {
    assert.match(actionFor("patch", "events", 403), /^grant verb "patch" on resource "events" \(API group ""\) to the agent's ServiceAccount/);
    assert.match(actionFor("list", "pods", 401), /does not accept the agent's credentials/);
    assert.match(actionFor("watch", "pods", null), /cannot be reached: the agent keeps every limit/);
    assert.match(actionFor("watch", "pods", 503), /keeps every limit it enforces and retries/);
  });

  it("names the API group in what to grant, and takes the caller's own advice where it knows better", () => {
    assert.match(actionFor("patch", "bandwidthbudgets/status", 403, "pacer.dev"), /^grant verb "patch" on resource "bandwidthbudgets\/status" \(API group "pacer.dev"\)/);
    const access = new ApiAccess();
    const notFound = new KubeApiError(404, { message: "the server could not find the requested resource" }, "GET /apis/pacer.dev/v1alpha1/bandwidthbudgets");
    access.failed("list", "bandwidthbudgets", notFound, "HTTP 404", { apiGroup: "pacer.dev", action: "install the CRD" });
    assert.equal(access.problems()[0]?.action, "install the CRD");
    assert.equal(access.problems()[0]?.statusCode, 404);
  });
  it("reads the status code of our errors, client-node's Watch errors and Status bodies", () => {
    assert.equal(statusCodeOf(new KubeApiError(404, undefined, "GET /x")), 404);
    assert.equal(statusCodeOf(Object.assign(new Error("Forbidden"), { statusCode: 403 })), 403);
    assert.equal(statusCodeOf({ code: 410 }), 410);
    assert.equal(statusCodeOf(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })), null);
    assert.equal(statusCodeOf("text"), null);
  });
});
