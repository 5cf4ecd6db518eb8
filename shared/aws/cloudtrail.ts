import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
} from "@aws-sdk/client-cloudtrail";
import type { TrailFacts } from "../doctor/evaluate.js";
import { call } from "./errors.js";
import { clientConfig, perRegion } from "./sdk-config.js";

export const cloudTrailClient = perRegion((region) => new CloudTrailClient(clientConfig(region)));

/**
 * Every trail that records `region`: its own trails and the multi-region and organization trails homed elsewhere
 * (shadow trails). Status and selectors are read in each trail's home region, by ARN, which works for all three.
 */
export async function trailsRecording(region: string): Promise<TrailFacts[]> {
  const out = await call("cloudtrail:DescribeTrails", () =>
    cloudTrailClient(region).send(new DescribeTrailsCommand({ includeShadowTrails: true })),
  );
  const facts: TrailFacts[] = [];
  for (const trail of out.trailList ?? []) {
    if (!trail.TrailARN || !trail.HomeRegion) continue;
    const home = cloudTrailClient(trail.HomeRegion);
    const status = await call("cloudtrail:GetTrailStatus", () =>
      home.send(new GetTrailStatusCommand({ Name: trail.TrailARN })),
    );
    const selectors = await call("cloudtrail:GetEventSelectors", () =>
      home.send(new GetEventSelectorsCommand({ TrailName: trail.TrailARN })),
    );
    facts.push({
      name: trail.Name ?? trail.TrailARN,
      arn: trail.TrailARN,
      homeRegion: trail.HomeRegion,
      multiRegion: trail.IsMultiRegionTrail === true,
      organization: trail.IsOrganizationTrail === true,
      logging: status.IsLogging === true,
      basic: selectors.EventSelectors ?? [],
      advanced: selectors.AdvancedEventSelectors ?? [],
    });
  }
  return facts;
}
