import { DomainError } from '../errors';

export class InvalidSnapshotBatch extends DomainError {
  constructor(count: number) {
    super('InvalidSnapshotBatch', `a batch has 1–1000 snapshots, not ${count}`, 'invalid', 'snapshots');
  }
}

export class InvalidMetric extends DomainError {
  constructor(field: string) {
    super('InvalidMetric', `${field} must be a non-negative whole number`, 'invalid', field);
  }
}
