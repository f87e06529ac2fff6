/**
 * nginx reads an upstream's status line, header lines and chunk-size lines ended by a bare LF
 * as well as by CRLF (ngx_http_parse_status_line, ngx_http_parse_header_line and
 * ngx_http_parse_chunked accept either); undici's llhttp refuses them ("Missing expected CR
 * after response line"), which tenk answered with 502. llhttp has the switch nginx's rule needs,
 * `llhttp_set_lenient_optional_cr_before_lf`, but undici does not expose it: its parser
 * instance is made lazily, on the first upstream connection, with `new WebAssembly.Instance`.
 * This wraps that constructor once, for the llhttp module only, so each response parser undici
 * allocates gets the flag. Nothing else is relaxed: a bare CR, a missing CRLF after chunk data,
 * two Content-Lengths or Content-Length with Transfer-Encoding stay errors (they are ambiguous).
 * What tenk forwards is normalized: Node writes the head with CRLF, and re-frames a chunked body.
 */
const RESPONSE = 2;
let installed = false;

type LlhttpExports = Record<string, unknown> & {
  llhttp_alloc(type: number): number;
  llhttp_set_lenient_optional_cr_before_lf(parser: number, enabled: number): void;
};

/** The part of the WebAssembly global used here (tsconfig has no WebAssembly types). */
interface WasmInstance {
  exports: Record<string, unknown>;
}
type WasmInstanceConstructor = new (module: unknown, imports?: unknown) => WasmInstance;
const wasm = (globalThis as unknown as { WebAssembly: { Instance: WasmInstanceConstructor } }).WebAssembly;

export function acceptBareLfFromUpstreams(): void {
  if (installed) return;
  installed = true;
  const Original = wasm.Instance;
  function Lenient(module: unknown, imports?: unknown): WasmInstance {
    const instance = new Original(module, imports);
    const exports = instance.exports as Partial<LlhttpExports>;
    if (typeof exports.llhttp_alloc !== 'function' || typeof exports.llhttp_set_lenient_optional_cr_before_lf !== 'function') {
      return instance;
    }
    const llhttp = exports as LlhttpExports;
    // The exports object is frozen: hand undici a copy with llhttp_alloc wrapped.
    const wrapped: Record<string, unknown> = { ...llhttp };
    wrapped.llhttp_alloc = (type: number): number => {
      const parser = llhttp.llhttp_alloc(type);
      if (type === RESPONSE) llhttp.llhttp_set_lenient_optional_cr_before_lf(parser, 1);
      return parser;
    };
    return { exports: wrapped };
  }
  Lenient.prototype = Original.prototype;
  wasm.Instance = Lenient as unknown as WasmInstanceConstructor;
}
