import { EMULATOR_ADMIN } from "./emulator.js";

/**
 * A request to a moto service for which the project has no SDK client (IAM, Lambda), as the emulator's
 * administrator: the credential scope names the service and the admin key (patches/iam_enforcement.py trusts that
 * key without a signature, like a console session of the account's root user).
 */
export async function motoCall(
  endpoint: string,
  service: string,
  region: string,
  method: string,
  path: string,
  body: string,
  contentType: string,
): Promise<any> {
  const res = await fetch(`${endpoint}${path}`, {
    method,
    body,
    headers: {
      "content-type": contentType,
      authorization: `AWS4-HMAC-SHA256 Credential=${EMULATOR_ADMIN.accessKeyId}/20260101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  const text = await res.text();
  if (!res.ok) throw new MotoCallError(`${service} ${method} ${path}: HTTP ${res.status} ${text}`, res.status, text);
  return contentType.includes("json") && text ? JSON.parse(text) : text;
}

export class MotoCallError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
    this.name = "MotoCallError";
  }
}

/** An IAM query-protocol call (form-encoded). */
export function iamCall(endpoint: string, params: Record<string, string>): Promise<string> {
  const form = new URLSearchParams({ Version: "2010-05-08", ...params });
  return motoCall(endpoint, "iam", "us-east-1", "POST", "/", form.toString(), "application/x-www-form-urlencoded");
}
