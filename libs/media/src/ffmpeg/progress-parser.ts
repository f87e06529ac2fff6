/**
 * Reads ffmpeg's `-progress` output (`key=value` lines, a block per update ending in
 * `progress=continue` or `progress=end`) and turns `out_time_us` into a percentage of the
 * input's duration. Fed chunks as they arrive; lines may be split between chunks.
 */
export class ProgressParser {
  #buffer = '';
  #lastPercent = -1;

  constructor(
    private readonly durationSeconds: number,
    private readonly onPercent: (percent: number) => void,
  ) {}

  push(chunk: string): void {
    this.#buffer += chunk;
    let newline = this.#buffer.indexOf('\n');
    while (newline !== -1) {
      this.#line(this.#buffer.slice(0, newline).trim());
      this.#buffer = this.#buffer.slice(newline + 1);
      newline = this.#buffer.indexOf('\n');
    }
  }

  #line(line: string): void {
    const equals = line.indexOf('=');
    if (equals === -1) return;
    const key = line.slice(0, equals);
    const value = line.slice(equals + 1);
    if (key === 'progress' && value === 'end') return this.#emit(100);
    // out_time_us is microseconds (ffmpeg 5 also prints out_time_ms with the same value, misnamed).
    if (key !== 'out_time_us') return;
    const micros = Number(value);
    if (!Number.isFinite(micros) || micros < 0 || this.durationSeconds <= 0) return;
    this.#emit(Math.min(99, Math.floor((micros / 1e6 / this.durationSeconds) * 100)));
  }

  #emit(percent: number): void {
    if (percent <= this.#lastPercent) return;
    this.#lastPercent = percent;
    this.onPercent(percent);
  }
}
