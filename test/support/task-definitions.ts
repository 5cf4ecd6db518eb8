import type { RegisterTaskDefinitionCommandInput } from "@aws-sdk/client-ecs";

/** A Fargate task definition with one EFS volume per entry (transitEncryption omitted when not given). */
export function taskDefinition(
  family: string,
  efs: { fileSystemId: string; transitEncryption?: "ENABLED" | "DISABLED" }[],
): RegisterTaskDefinitionCommandInput {
  return {
    family,
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    containerDefinitions: [{ name: "app", image: "public.ecr.aws/docker/library/nginx:latest", essential: true }],
    volumes: efs.map((v, i) => ({
      name: `data_${i}`,
      efsVolumeConfiguration: {
        fileSystemId: v.fileSystemId,
        ...(v.transitEncryption ? { transitEncryption: v.transitEncryption } : {}),
      },
    })),
  };
}
