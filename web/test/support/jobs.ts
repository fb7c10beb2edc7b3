import type { SegmentJob } from '../../src/api/types.ts';

export function job(over: Partial<SegmentJob> & { id: string }): SegmentJob {
  return {
    imsOrgId: 'ORG@AdobeOrg',
    sandbox: { sandboxId: '1', sandboxName: 'prod', type: 'production', default: true },
    profileInstanceId: 'ups',
    source: 'api',
    status: 'SUCCEEDED',
    segments: [{ segmentId: 'seg-a' }],
    metrics: {
      totalTime: { startTimeInMs: 1000, endTimeInMs: 3500, totalTimeInMs: 2500 },
      profileSegmentationTime: { startTimeInMs: 1100, endTimeInMs: 3400, totalTimeInMs: 2300 },
      totalProfiles: 100,
      segmentedProfileCounter: { 'seg-a': 12 },
      segmentedProfileByStatusCounter: { 'seg-a': { realized: 5, existing: 7, exited: 2 } },
    },
    errors: [],
    requestId: 'r',
    schema: { name: '_xdm.context.profile' },
    properties: {},
    _links: {
      cancel: { href: '', method: 'DELETE' },
      checkStatus: { href: '', method: 'GET' },
    },
    creationTime: 1000,
    updateTime: 3500,
    updateEpoch: 3,
    ...over,
  } as SegmentJob;
}
