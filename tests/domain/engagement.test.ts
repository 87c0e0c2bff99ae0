import {
  engagementDecider,
  type EngagementEvent,
  engagementEvents,
  type EngagementMetrics,
  InvalidMetric,
  InvalidSnapshotBatch,
  MAX_SNAPSHOTS_PER_BATCH,
  metricsDelta,
  type RecordEngagementSnapshots,
  zeroMetrics,
} from '../../src/domain/engagement';
import { InvalidTimestamp } from '../../src/domain/errors';
import { expectEveryTypeEmitted, given } from './support/given';

const ids = { postId: 'post-1', workspaceId: 'ws-1', accountId: 'acc-1' };
const record = (...snapshots: RecordEngagementSnapshots['snapshots']): RecordEngagementSnapshots => ({ type: 'RecordEngagementSnapshots', ...ids, snapshots });
const metrics = (partial: Partial<EngagementMetrics>): EngagementMetrics => ({ ...zeroMetrics(), ...partial });
const recorded = (capturedAt: string, totals: Partial<EngagementMetrics>, delta: Partial<EngagementMetrics>, counted = true): EngagementEvent => ({
  type: 'EngagementSnapshotRecorded',
  data: { ...ids, capturedAt, metrics: metrics(totals), delta: metrics(delta), counted },
});
const T1 = '2025-03-01T10:00:00.000Z';
const T2 = '2025-03-01T11:00:00.000Z';
const T3 = '2025-03-01T12:00:00.000Z';

describe('engagement', () => {
  it('counts a first snapshot whole, missing metrics at zero', () => {
    const state = given(engagementDecider)
      .when(record({ capturedAt: T1, metrics: { impressions: 100, likes: 10 } }))
      .then([recorded(T1, { impressions: 100, likes: 10 }, { impressions: 100, likes: 10 })]);
    expect(state).toEqual({ latest: { capturedAt: T1, metrics: metrics({ impressions: 100, likes: 10 }) } });
  });

  it('counts a newer snapshot as the change since the latest', () => {
    given(engagementDecider, [recorded(T1, { impressions: 100, likes: 10 }, { impressions: 100, likes: 10 })])
      .when(record({ capturedAt: T2, metrics: { impressions: 150, likes: 12, clicks: 3 } }))
      .then([recorded(T2, { impressions: 150, likes: 12, clicks: 3 }, { impressions: 50, likes: 2, clicks: 3 })]);
  });

  it('lets a platform correct a total down', () => {
    given(engagementDecider, [recorded(T1, { likes: 10 }, { likes: 10 })])
      .when(record({ capturedAt: T2, metrics: { likes: 9 } }))
      .then([recorded(T2, { likes: 9 }, { likes: -1 })]);
  });

  it('records a repeated or older snapshot without counting it', () => {
    const history = [recorded(T2, { likes: 10 }, { likes: 10 })];
    const state = given(engagementDecider, history)
      .when(record({ capturedAt: '2025-03-01T12:00:00+01:00', metrics: { likes: 10 } }, { capturedAt: T1, metrics: { likes: 4 } }))
      .then([recorded(T1, { likes: 4 }, {}, false), recorded(T2, { likes: 10 }, {}, false)]);
    expect(state.latest?.capturedAt).toBe(T2);
  });

  it('processes a batch in capture order and never counts a time twice', () => {
    given(engagementDecider)
      .when(
        record(
          { capturedAt: T3, metrics: { views: 30 } },
          { capturedAt: T1, metrics: { views: 10 } },
          { capturedAt: T2, metrics: { views: 20 } },
          { capturedAt: T2, metrics: { views: 21 } },
        ),
      )
      .then([
        recorded(T1, { views: 10 }, { views: 10 }),
        recorded(T2, { views: 20 }, { views: 10 }),
        recorded(T2, { views: 21 }, {}, false),
        recorded(T3, { views: 30 }, { views: 10 }),
      ]);
  });

  it.each([
    ['an empty batch', record(), InvalidSnapshotBatch, 'snapshots'],
    ['a batch over the limit', record(...Array.from({ length: MAX_SNAPSHOTS_PER_BATCH + 1 }, () => ({ capturedAt: T1, metrics: {} }))), InvalidSnapshotBatch, 'snapshots'],
    ['a negative metric', record({ capturedAt: T1, metrics: {} }, { capturedAt: T2, metrics: { likes: -1 } }), InvalidMetric, 'snapshots[1].metrics.likes'],
    ['a fractional metric', record({ capturedAt: T1, metrics: { reach: 1.5 } }), InvalidMetric, 'snapshots[0].metrics.reach'],
    ['a malformed capture time', record({ capturedAt: 'noon', metrics: {} }), InvalidTimestamp, 'snapshots[0].capturedAt'],
  ])('refuses %s', (_case, command, error, field) => {
    given(engagementDecider).when(command).thenThrows(error, { kind: 'invalid', field });
  });

  it('computes deltas metric by metric', () => {
    expect(metricsDelta(metrics({ likes: 5, shares: 1 }), metrics({ likes: 2, shares: 3 }))).toEqual(metrics({ likes: 3, shares: -2 }));
  });

  it('emits every engagement event type in some test', () => {
    expectEveryTypeEmitted(Object.keys(engagementEvents));
  });
});
