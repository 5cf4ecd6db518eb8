import {
  CloudTrailClient,
  CreateTrailCommand,
  GetEventSelectorsCommand,
  PutEventSelectorsCommand,
} from "@aws-sdk/client-cloudtrail";
import { beforeEach, expect, inject, it } from "vitest";
import { motoCall } from "../../emulator/moto-call.js";
import { resetEmulator } from "../support/emulator.js";

beforeEach(resetEmulator);

it("cloudtrail_default_event_selectors: a new trail has AWS's default selector; the two kinds replace each other", async () => {
  // As the emulator's administrator: IAM is enforced, an unsigned call is refused as on AWS.
  await motoCall(inject("emulatorEndpoint"), "s3", "us-east-1", "PUT", "/trail-bucket", "", "application/xml");
  const ct = new CloudTrailClient({ region: "us-east-1" });
  await ct.send(new CreateTrailCommand({ Name: "trail-one", S3BucketName: "trail-bucket" }));
  let out = await ct.send(new GetEventSelectorsCommand({ TrailName: "trail-one" }));
  expect(out.EventSelectors).toEqual([
    { ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] },
  ]);
  expect(out.AdvancedEventSelectors ?? []).toEqual([]);

  const advanced = [{ Name: "mgmt", FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }] }];
  await ct.send(new PutEventSelectorsCommand({ TrailName: "trail-one", AdvancedEventSelectors: advanced }));
  out = await ct.send(new GetEventSelectorsCommand({ TrailName: "trail-one" }));
  expect(out.EventSelectors ?? []).toEqual([]);
  expect(out.AdvancedEventSelectors).toEqual(advanced);

  await ct.send(
    new PutEventSelectorsCommand({
      TrailName: "trail-one",
      EventSelectors: [{ ReadWriteType: "WriteOnly", IncludeManagementEvents: true }],
    }),
  );
  out = await ct.send(new GetEventSelectorsCommand({ TrailName: "trail-one" }));
  expect(out.EventSelectors?.[0]?.ReadWriteType).toBe("WriteOnly");
  expect(out.AdvancedEventSelectors ?? []).toEqual([]);
});
