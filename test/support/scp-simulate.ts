import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";

/**
 * One request evaluated by an IAM policy simulator (@cloud-copilot/iam-simulate, pinned: identity policies, SCPs
 * and every condition operator, as AWS evaluates them) with an identity policy that allows everything, so only the
 * service control policy under test stands in the way. A KMS key is governed by its key policy as well: the
 * default one, which defers to IAM. The simulator does not derive request keys itself: the caller's ARN and account
 * are given as AWS would set them, and `context` carries the request's own keys (aws:TagKeys, aws:ResourceTag/...).
 */
export const SIM_ACCOUNT = "111122223333";

const ALLOW_ALL = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

export async function scpDecision(
  scp: unknown,
  principal: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]>,
): Promise<string> {
  const simulation: Simulation = {
    identityPolicies: [{ name: "admin", policy: ALLOW_ALL }],
    serviceControlPolicies: [
      {
        orgIdentifier: "r-root",
        policies: [
          { name: "FullAWSAccess", policy: ALLOW_ALL },
          { name: "UnderTest", policy: scp },
        ],
      },
    ],
    resourceControlPolicies: [],
    resourcePolicy: resource.startsWith("arn:aws:kms:")
      ? {
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${SIM_ACCOUNT}:root` }, Action: "kms:*", Resource: "*" },
          ],
        }
      : undefined,
    request: {
      principal,
      action,
      resource: { resource, accountId: SIM_ACCOUNT },
      contextVariables: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": SIM_ACCOUNT, ...context },
    },
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === "error") throw new Error(JSON.stringify(response.errors));
  return response.overallResult;
}
