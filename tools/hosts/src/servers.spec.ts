import { newClusterId } from './servers';

describe("the Kafka cluster's id", () => {
  it('is 22 base64url characters and never starts with "-" (kafka-storage format would take it for an option)', () => {
    const ids = Array.from({ length: 2_000 }, () => newClusterId());
    expect(ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
