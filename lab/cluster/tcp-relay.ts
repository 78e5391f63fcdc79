/**
 * A TCP relay between a client under test and the real kube-apiserver (TLS passes through untouched), like
 * the load balancer in front of a cluster's API servers: it lets a test cut the client off (connections
 * reset, new ones refused with a reset) and let it back, or drop every open connection once, while the
 * server and everyone else talking to it directly carry on. Listens on 127.0.0.1, random port.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface TcpRelay {
  readonly port: number;
  /** Resets every relayed connection; new ones are reset until heal(). */
  cut(): void;
  heal(): void;
  /** Resets every relayed connection once (a dropped connection); new ones are relayed. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startTcpRelay(target: { host: string; port: number }): Promise<TcpRelay> {
  const open = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) {
      client.on("error", () => { /* reset on purpose */ });
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const [socket, peer] of [[client, upstream], [upstream, client]] as const) {
      open.add(socket);
      socket.once("close", () => open.delete(socket));
      socket.on("error", () => peer.destroy());
      socket.once("close", () => peer.destroy());
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("tcp relay: no TCP address");
  const dropConnections = () => {
    for (const socket of open) socket.resetAndDestroy();
  };
  return {
    port: address.port,
    cut() {
      cut = true;
      dropConnections();
    },
    heal() {
      cut = false;
    },
    dropConnections,
    async close() {
      dropConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
