import { inject } from "vitest";

const endpoint = () => inject("emulatorEndpoint");

export async function resetEmulator(): Promise<void> {
  const res = await fetch(`${endpoint()}/moto-api/reset`, { method: "POST" });
  if (!res.ok) throw new Error(`reset failed: ${res.status}`);
}

export async function configureEmulator(config: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${endpoint()}/moto-api/config`, {
    method: "POST",
    body: JSON.stringify(config),
    headers: { "content-type": "application/json" },
  });
  if (!res.ok) throw new Error(`config failed: ${res.status}`);
}
