import { Body, Controller, Get, Inject, type INestApplication, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { ControlPlaneModule } from './control-plane.module';
import { CONTROL_PLANE_OPTIONS, type ControlPlaneOptions } from './control-plane.module-definition';
import { createControlToken } from './control-token';
import { controlRequest, HOSTILE_CONTROL_CALLS, type ControlCall } from './testing/control-calls';
import { createHttpAdapter } from '@tenk/observability';

const token = createControlToken();

@Controller()
class LampController {
  on = false;

  constructor(@Inject(CONTROL_PLANE_OPTIONS) readonly options: ControlPlaneOptions) {}

  @Get('lamp')
  state(): { on: boolean } {
    return { on: this.on };
  }

  @Post('lamp')
  set(@Body() body: { on: boolean }): { on: boolean } {
    this.on = body.on;
    return { on: this.on };
  }
}

describe('ControlPlaneModule (a Nest control server)', () => {
  let app: INestApplication;
  let base: string;
  let lamp: LampController;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ControlPlaneModule.forRoot({ token })],
      controllers: [LampController],
    }).compile();
    app = moduleRef.createNestApplication(createHttpAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    lamp = app.get(LampController);
  });
  afterAll(() => app.close());

  const correct = (): ControlCall => ({ method: 'POST', url: `${base}/lamp`, token, body: '{"on":true}' });

  it.each(HOSTILE_CONTROL_CALLS)('refuses $name, and nothing changes', async (hostile) => {
    lamp.on = false;
    const answer = await controlRequest(hostile.from(correct()));
    expect(answer.status).toBe(hostile.status);
    expect((JSON.parse(answer.body) as { message: string }).message).toMatch(hostile.message);
    expect(lamp.on).toBe(false);
  });

  it('takes the correct call, and hands the token to the app for the calls it forwards', async () => {
    lamp.on = false;
    const answer = await controlRequest(correct());
    expect(answer.status).toBe(201);
    expect(lamp.on).toBe(true);
    expect(lamp.options.token).toBe(token);
  });

  it('serves reads without the token, but only under its own Host', async () => {
    expect((await controlRequest({ method: 'GET', url: `${base}/lamp`, contentType: null })).status).toBe(200);
    const rebound = await controlRequest({ method: 'GET', url: `${base}/lamp`, contentType: null, host: 'evil.example' });
    expect(rebound.status).toBe(403);
  });

  it('says 401 with a Bearer challenge', async () => {
    const answer = await controlRequest({ ...correct(), token: undefined });
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="tenk control"');
    expect(JSON.parse(answer.body)).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });
});
