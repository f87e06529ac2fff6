import { DEFAULT_PORTS, loadConfig } from '@tenk/config';
import { hostsConfig, hostsEnv, MACHINE_PORTS } from './hosts-env';
import { HOSTS, MACHINE_ADDRESS, SUBNET } from './topology';

const inSubnet = (address: string) => address.startsWith(`${SUBNET.split('.').slice(0, 3).join('.')}.`);

describe('the many-host configuration', () => {
  it('puts each shard database and each Kafka broker on its own host, and nothing else changes but addresses and the machine-side ports', () => {
    const config = hostsConfig({});
    expect(Object.fromEntries(Object.entries(config.postgres.shardEndpoints).map(([db, at]) => [db, `${at.host}:${at.port}`]))).toEqual({
      shard_0: `10.77.0.21:${DEFAULT_PORTS.postgresPrimary}`,
      shard_1: `10.77.0.21:${DEFAULT_PORTS.postgresPrimary}`,
      shard_2: `10.77.0.22:${DEFAULT_PORTS.postgresPrimary}`,
      shard_3: `10.77.0.22:${DEFAULT_PORTS.postgresPrimary}`,
    });
    expect(config.kafka.brokers).toEqual(['10.77.0.31:59092', '10.77.0.32:59092', '10.77.0.33:59092']);
    expect(config.postgres.replica.host).toBe('10.77.0.12');
    const local = loadConfig({});
    expect(config.postgres.shardDatabases).toEqual(local.postgres.shardDatabases);
    expect(config.services.apiPort).toBe(local.services.apiPort);
    expect(config.services.balancerPort).toBe(Number(MACHINE_PORTS.TENK_BALANCER_PORT));
  });

  it("keeps every port inside the hosts at its default, whatever the caller's shell moved (the e2e shop's ports in npm test)", () => {
    const moved = { TENK_PAYMENT_SIM_PORT: '4200', TENK_PAYMENT_SIM_ADMIN_PORT: '4201', TENK_API_PORT: '4001', TENK_PG_PORT: '6000' };
    const config = hostsConfig(moved);
    expect(config.services.paymentSimPort).toBe(DEFAULT_PORTS.paymentSim);
    expect(new URL(config.services.paymentUrl).port).toBe(String(config.services.paymentSimPort));
    expect(config.services.apiPort).toBe(DEFAULT_PORTS.api);
    expect(config.postgres.primary.port).toBe(DEFAULT_PORTS.postgresPrimary);
  });

  it('uses only addresses on the bridge and the loopback', () => {
    expect(HOSTS.every((host) => inSubnet(host.address))).toBe(true);
    expect(new Set(HOSTS.map((host) => host.address)).size).toBe(HOSTS.length);
    expect(HOSTS.every((host) => host.link.length <= 15)).toBe(true);
    const addresses = Object.values(hostsEnv({})).flatMap((value) => value.match(/\d+\.\d+\.\d+\.\d+/g) ?? []);
    expect(addresses.length).toBeGreaterThan(10);
    expect(addresses.filter((address) => !inSubnet(address) && !address.startsWith('127.'))).toEqual([]);
    expect(inSubnet(MACHINE_ADDRESS)).toBe(true);
  });
});
