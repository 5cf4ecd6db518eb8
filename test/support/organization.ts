import { inject } from "vitest";
import { EMULATOR_ADMIN } from "../../emulator/emulator.js";
import { REGION } from "../../emulator/seed.js";

/**
 * Other accounts on the emulator: moto keeps each account's state apart, and the administrator's calls name the
 * account in x-moto-account-id; AWS Organizations (no SDK client in the project) through its JSON protocol.
 */
export function inAccount<C extends { middlewareStack: any }>(client: C, account: string): C {
  client.middlewareStack.add(
    (next: any) => async (args: any) => {
      args.request.headers["x-moto-account-id"] = account;
      return next(args);
    },
    { step: "build", name: "inAccount" },
  );
  return client;
}

export async function organizations(target: string, body: object): Promise<any> {
  const res = await fetch(inject("emulatorEndpoint"), {
    method: "POST",
    body: JSON.stringify(body),
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AWSOrganizationsV20161128.${target}`,
      authorization: `AWS4-HMAC-SHA256 Credential=${EMULATOR_ADMIN.accessKeyId}/20260101/${REGION}/organizations/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  if (!res.ok) throw new Error(`${target}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** An organization managed by the emulator's default account, with member accounts (ids chosen by Organizations). */
export async function organization(names: string[]): Promise<{ id: string; members: string[] }> {
  const id = (await organizations("CreateOrganization", { FeatureSet: "ALL" })).Organization.Id as string;
  const members: string[] = [];
  for (const name of names) {
    const status = await organizations("CreateAccount", { AccountName: name, Email: `${name}@example.com` });
    members.push(status.CreateAccountStatus.AccountId);
  }
  return { id, members };
}
