/** Minimal CIDR arithmetic for IPv4 and IPv6, with bigint so both families share one code path. */
export interface Cidr {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

function parseIpv4(address: string): bigint | undefined {
  const parts = address.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIpv6(address: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(address)) return undefined;
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0] ?? "");
  const tail = halves.length === 2 ? groups(halves[1] ?? "") : [];
  // An embedded IPv4 tail (::ffff:10.0.0.1) counts as two groups.
  const expand = (list: string[]): string[] | undefined => {
    const last = list.at(-1);
    if (last?.includes(".")) {
      const v4 = parseIpv4(last);
      if (v4 === undefined) return undefined;
      return [...list.slice(0, -1), (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
    }
    return list;
  };
  const h = expand(head);
  const t = expand(tail);
  if (!h || !t) return undefined;
  const missing = 8 - h.length - t.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...h, ...Array(Math.max(missing, 0)).fill("0"), ...t];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

export function parseCidr(text: string): Cidr | undefined {
  const [address, prefixText, extra] = text.trim().split("/");
  if (address === undefined || prefixText === undefined || extra !== undefined || !/^\d{1,3}$/.test(prefixText)) {
    return undefined;
  }
  const prefix = Number(prefixText);
  const v4 = parseIpv4(address);
  if (v4 !== undefined) {
    if (prefix > 32) return undefined;
    return { family: 4, network: mask(v4, 32, prefix), prefix };
  }
  const v6 = parseIpv6(address);
  if (v6 !== undefined) {
    if (prefix > 128) return undefined;
    return { family: 6, network: mask(v6, 128, prefix), prefix };
  }
  return undefined;
}

function mask(value: bigint, bits: number, prefix: number): bigint {
  const hostBits = BigInt(bits - prefix);
  return (value >> hostBits) << hostBits;
}

/** True when every address of `inner` is inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const bits = outer.family === 4 ? 32 : 128;
  return mask(inner.network, bits, outer.prefix) === outer.network;
}

/** 0.0.0.0/0 or ::/0 only; 0.0.0.0/16 is a (strange) /16, not the internet. */
export function isWorld(cidr: Cidr): boolean {
  return cidr.prefix === 0;
}
