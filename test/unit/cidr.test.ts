import { describe, expect, it } from "vitest";
import { cidrContains, isWorld, parseCidr } from "../../shared/controls/cidr.js";

describe("cidr", () => {
  it("parses IPv4 and IPv6, normalising host bits", () => {
    expect(parseCidr("10.0.1.7/16")).toEqual({ family: 4, network: 0x0a000000n, prefix: 16 });
    expect(parseCidr("::/0")).toEqual({ family: 6, network: 0n, prefix: 0 });
    expect(parseCidr("2600:1f18::/32")?.prefix).toBe(32);
    expect(parseCidr("::ffff:10.0.0.1/128")?.network).toBe(0xffff0a000001n);
  });

  it.each([
    "",
    "10.0.0.0",
    "10.0.0.0/33",
    "300.0.0.0/8",
    "1:2:3:4:5:6:7:8:9/64",
    "abc/8",
    "1::2::3/64",
    "10.0.0.0/8/1",
  ])("rejects %j", (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });

  it("contains", () => {
    const vpc = parseCidr("10.0.0.0/16")!;
    expect(cidrContains(vpc, parseCidr("10.0.5.0/24")!)).toBe(true);
    expect(cidrContains(vpc, parseCidr("10.0.0.0/8")!)).toBe(false);
    expect(cidrContains(vpc, parseCidr("10.1.0.0/24")!)).toBe(false);
    expect(cidrContains(vpc, parseCidr("::/0")!)).toBe(false);
    expect(cidrContains(parseCidr("2600:1f18:abcd:1200::/56")!, parseCidr("2600:1f18:abcd:12ff::/64")!)).toBe(true);
  });

  it("only a /0 is the world", () => {
    expect(isWorld(parseCidr("0.0.0.0/0")!)).toBe(true);
    expect(isWorld(parseCidr("::/0")!)).toBe(true);
    expect(isWorld(parseCidr("0.0.0.0/16")!)).toBe(false);
    expect(isWorld(parseCidr("0.0.0.0/1")!)).toBe(false);
  });
});
