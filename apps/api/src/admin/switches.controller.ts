import { BadRequestException, Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { SWITCH_NAMES, SwitchesService, type SwitchName, type SwitchStates } from '@tenk/switches';
import { Roles } from '../auth/auth.decorators';

class SwitchBody {
  @IsBoolean()
  on!: boolean;
}

/** Turn a pattern off and on while the shop runs (admin): the lab and the live map use it. */
@ApiTags('admin')
@Roles('admin')
@Controller('admin/switches')
export class SwitchesController {
  constructor(private readonly switches: SwitchesService) {}

  @Get()
  list(): SwitchStates {
    return this.switches.all();
  }

  @Put(':name')
  set(@Param('name') name: string, @Body() body: SwitchBody): Promise<SwitchStates> {
    if (!(SWITCH_NAMES as readonly string[]).includes(name))
      throw new BadRequestException(`unknown switch "${name}"; switches: ${SWITCH_NAMES.join(', ')}`);
    return this.switches.set(name as SwitchName, body.on);
  }
}
