/**
 * What a program sends with a control call: the run's token and a JSON Content-Type (the
 * body itself is the caller's, `{}` when there is nothing to say).
 */
export function controlHeaders(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
}

/**
 * The browser side, for a control page served by a control server (the map, the balancer's
 * status page), as Jupyter does it: the token arrives once in the page's URL (`?token=...`,
 * the link npm start prints), is kept in sessionStorage (this origin, this tab) and taken out
 * of the address bar, then sent as a header. Defines `tenkControl.token()` and
 * `tenkControl.headers()` for the page's own script.
 */
export const CONTROL_TOKEN_PAGE_SCRIPT = `const tenkControl = (() => {
  const KEY = 'tenk-control-token';
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem(KEY, fromUrl);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', location.pathname + (rest ? '?' + rest : '') + location.hash);
  }
  const token = () => sessionStorage.getItem(KEY);
  const headers = () => (token() ? { 'content-type': 'application/json', authorization: 'Bearer ' + token() } : { 'content-type': 'application/json' });
  return { token, headers };
})();`;
