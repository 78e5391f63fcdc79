/** The TCP relay in front of the API server: relays both ways, cut() resets and refuses, heal() lets back in. */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { connect, createServer, type Server } from "node:net";
import { startTcpRelay, type TcpRelay } from "./tcp-relay.js";

/** Sends `text` and resolves with the first reply (the relay, like an HTTP client, does not half-close). */
const exchange = (port: number, text: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    socket.setEncoding("utf8").once("data", (reply: string) => {
      socket.destroy();
      resolve(reply);
    });
    socket.once("error", reject);
    socket.once("close", () => reject(new Error("closed without a reply")));
  });

describe("TCP relay", () => {
  let echo: Server;
  let relay: TcpRelay;
  before(async () => {
    echo = createServer((socket) => {
      socket.on("error", () => { /* the relay reset it */ });
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const address = echo.address();
    relay = await startTcpRelay({ host: "127.0.0.1", port: typeof address === "object" && address ? address.port : 0 });
  });
  after(async () => {
    await relay.close();
    await new Promise((resolve) => echo.close(resolve));
  });

  it("relays, refuses while cut, relays again once healed", async () => {
    assert.equal(await exchange(relay.port, "one"), "one");
    relay.cut();
    await assert.rejects(exchange(relay.port, "two"), /ECONNRESET/);
    relay.heal();
    assert.equal(await exchange(relay.port, "three"), "three");
  });
});
