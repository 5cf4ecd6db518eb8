import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";

/**
 * A black-holed endpoint: a TCP server on loopback that accepts every connection and never answers, the way a
 * misrouted proxy or a half-dead load balancer behaves. A client without timeouts waits on it for ever.
 */
export async function blackHole(): Promise<{ endpoint: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.resume(); // read and drop whatever is sent
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
