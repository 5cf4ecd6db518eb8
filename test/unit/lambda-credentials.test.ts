import { afterEach, describe, expect, it } from "vitest";
import { credentialsTreatedAsExpired, defaultProvider } from "../../infra/lambda-credentials.js";

const KEYS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
];
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

describe("the credential chain bundled into the Lambda functions", () => {
  it("returns the execution role's credentials from the environment, as Lambda sets them", async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIA1", AWS_SECRET_ACCESS_KEY: "s", AWS_SESSION_TOKEN: "t" });
    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: "AKIA1",
      secretAccessKey: "s",
      sessionToken: "t",
    });
  });

  it("fails loudly without environment credentials or a container credentials endpoint", async () => {
    for (const k of KEYS) delete process.env[k];
    await expect(defaultProvider()()).rejects.toThrow(/environment variable credentials/);
  });

  it("treats credentials expiring within five minutes as expired, like the SDK's default chain", () => {
    expect(credentialsTreatedAsExpired({ accessKeyId: "a", secretAccessKey: "b" })).toBe(false);
    const soon = new Date(Date.now() + 60_000);
    expect(credentialsTreatedAsExpired({ accessKeyId: "a", secretAccessKey: "b", expiration: soon })).toBe(true);
  });
});
