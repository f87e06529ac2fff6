import { parse } from 'yaml';
import { loadConfig } from '@tenk/config';
import { jaegerConfig } from './jaeger';

/** Every `endpoint:` in a parsed Collector configuration, wherever it is nested. */
function endpoints(node: unknown, found: string[] = []): string[] {
  if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'endpoint' && typeof value === 'string') found.push(value);
      else endpoints(value, found);
    }
  }
  return found;
}

describe('jaeger configuration', () => {
  it('binds every listener to 127.0.0.1 on the configured ports, and receives OTLP/HTTP only', () => {
    const config = loadConfig({ TENK_JAEGER_UI_PORT: '46686', TENK_JAEGER_OTLP_PORT: '44318', TENK_JAEGER_GRPC_PORT: '46685' });
    const yaml = parse(jaegerConfig(config)) as {
      receivers: { otlp: { protocols: Record<string, unknown> } };
      service: { extensions: string[]; telemetry: { metrics: { level: string } } };
    };
    expect(endpoints(yaml).sort()).toEqual(['127.0.0.1:44318', '127.0.0.1:46685', '127.0.0.1:46686']);
    expect(Object.keys(yaml.receivers)).toEqual(['otlp']);
    expect(Object.keys(yaml.receivers.otlp.protocols)).toEqual(['http']);
    // Extensions that would open listeners of their own (health check, zpages, expvar, remote sampling) stay out.
    expect(yaml.service.extensions).toEqual(['jaeger_storage', 'jaeger_query']);
    // Its own metrics would listen on :8888 of every interface.
    expect(yaml.service.telemetry.metrics.level).toBe('none');
  });
});
