import { BadGatewayException, BadRequestException, Inject, Injectable } from '@nestjs/common';
import { InjectConfig, type TenkConfig } from '@tenk/config';
import { CONTROL_PLANE_OPTIONS, controlHeaders, type ControlPlaneOptions } from '@tenk/control-plane';
import { SWITCH_NAMES, SwitchesService, type SwitchName, type SwitchStates } from '@tenk/switches';

const PROCESS_ACTIONS = ['stop', 'start', 'kill'] as const;
export type ProcessAction = (typeof PROCESS_ACTIONS)[number];

/**
 * What the map's buttons do, each through the owner's own interface: pattern switches through
 * the shared switch store, the algorithm through the balancer's admin API, faults through
 * payment-sim's admin API, processes through the launcher's control API. Each call carries
 * the run's control token, as any caller of those APIs must.
 */
@Injectable()
export class ControlsService {
  constructor(
    @InjectConfig() private readonly config: TenkConfig,
    private readonly switches: SwitchesService,
    @Inject(CONTROL_PLANE_OPTIONS) private readonly control: ControlPlaneOptions,
  ) {}

  setSwitch(name: string, on: boolean): Promise<SwitchStates> {
    if (!(SWITCH_NAMES as readonly string[]).includes(name))
      throw new BadRequestException(`unknown switch "${name}"; switches: ${SWITCH_NAMES.join(', ')}`);
    return this.switches.set(name as SwitchName, on);
  }

  setAlgorithm(algorithm: string): Promise<unknown> {
    return this.#call('balancer', `http://127.0.0.1:${this.config.services.balancerAdminPort}/upstreams/api/algorithm`, 'PUT', {
      algorithm,
    });
  }

  setPaymentFaults(faults: Record<string, unknown> | undefined): Promise<unknown> {
    const url = `http://127.0.0.1:${this.config.services.paymentSimAdminPort}/admin/faults`;
    return faults ? this.#call('payment-sim', url, 'PATCH', faults) : this.#call('payment-sim', url, 'DELETE', {});
  }

  process(name: string, action: string): Promise<unknown> {
    if (!(PROCESS_ACTIONS as readonly string[]).includes(action))
      throw new BadRequestException(`unknown action "${action}": ${PROCESS_ACTIONS.join(', ')}`);
    if (!/^[a-z0-9-]+$/.test(name)) throw new BadRequestException(`"${name}" is not a process name`);
    return this.#call('launcher', `http://127.0.0.1:${this.config.services.shopControlPort}/processes/${name}/${action}`, 'POST', {});
  }

  async #call(target: string, url: string, method: string, body: unknown): Promise<unknown> {
    if (this.control.token === null) throw new BadGatewayException(`the map has no control token to call ${target} with`);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: controlHeaders(this.control.token),
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(70_000),
      });
    } catch (error) {
      throw new BadGatewayException(`${target} did not answer (${url}): ${(error as Error).message}`);
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Plain text answers (the balancer's errors) are passed on as they are.
    }
    if (response.status >= 400) {
      const message =
        typeof parsed === 'object' && parsed !== null && 'error' in parsed ? String((parsed as { error: unknown }).error) : text.trim();
      // Refused for its token or headers: the map's own call was wrong (e.g. a map started with
      // another run's token), not the request the page made.
      if (response.status === 401 || response.status === 403 || response.status === 415)
        throw new BadGatewayException(`${target} refused the map's call: ${message}`);
      throw response.status < 500 ? new BadRequestException(`${target}: ${message}`) : new BadGatewayException(`${target}: ${message}`);
    }
    return parsed;
  }
}
