export { eventually, uniqueName } from './wait';
export { freePort } from './ports';
export { TcpProxy } from './tcp-proxy';
export { startEphemeralRedis, type EphemeralRedis } from './ephemeral-redis';
export { TestTopic, type TestTopicOptions } from './test-topic';
export { sendOtlpSpans, type TestSpan } from './otlp-trace';
export { parseCsv } from './csv';
export { newClientAddress } from './client-address';
