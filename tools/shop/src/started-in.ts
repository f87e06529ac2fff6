/** "started in 95 s, 60 s of it installing": the whole command, and the install when there was one. */
export function startedIn(commandStarted: number, started: number, now: number): string {
  const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
  const installing = started - commandStarted;
  return `started in ${seconds(now - commandStarted)}${installing >= 5_000 ? `, ${seconds(installing)} of it installing` : ''}`;
}
