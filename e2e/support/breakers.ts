/**
 * A breaker's state as one api instance reports it on /metrics (`tenk_breaker_state`):
 * 0 closed, 1 open, 2 half-open; undefined before its first call.
 */
export async function breakerState(apiUrl: string, breaker: string): Promise<number | undefined> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith('tenk_breaker_state{') && candidate.includes(`breaker="${breaker}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
