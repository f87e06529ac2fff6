import type { RuntimeLocation } from '../runtime/runtime-location';
import type { Upstream } from '../upstream/upstream';
import type { RequestContext } from './request-context';

/**
 * `proxy_pass http://$name...;`: the upstream this request goes to, by the evaluated name,
 * among the configuration's upstream groups only. nginx would resolve a name that is no group
 * with its DNS resolver; tenk never sends a request to a host the configuration does not list
 * (a variable fed by a request header would otherwise make the balancer an open proxy), so an
 * unknown name is answered 502. `probe` evaluates the template (it is not answered through).
 */
export function findUpstream(probe: RequestContext, location: RuntimeLocation, target: string, uri: string): Upstream | string {
  probe.location = location;
  probe.target = target;
  probe.uri = uri;
  const name = (location.proxyHostTemplate as NonNullable<RuntimeLocation['proxyHostTemplate']>).evaluate(probe);
  return location.upstreams?.get(name) ?? name;
}
