import { afterAll, beforeAll, inject } from "vitest";
import { FaultProxy, type FaultProxyOptions } from "../emulator/fault-proxy.js";

/**
 * A fault proxy in front of the emulator for the whole test file: started before its tests, with AWS_ENDPOINT_URL
 * pointing at it (the functions' SDK clients, created on first use after this, reach AWS only through it), and
 * stopped with the endpoint restored after them. Returns the proxy once started.
 */
export function faultProxyForFile(options: Omit<FaultProxyOptions, "target">): () => FaultProxy {
  let proxy: FaultProxy | undefined;
  const savedEndpoint = process.env.AWS_ENDPOINT_URL;
  beforeAll(async () => {
    proxy = await FaultProxy.start({ target: inject("emulatorEndpoint"), ...options });
    process.env.AWS_ENDPOINT_URL = proxy.url;
  });
  afterAll(async () => {
    process.env.AWS_ENDPOINT_URL = savedEndpoint;
    await proxy?.stop();
  });
  return () => {
    if (!proxy) throw new Error("the fault proxy is not started yet (use it inside a test or hook)");
    return proxy;
  };
}
