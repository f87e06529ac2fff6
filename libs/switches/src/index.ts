export { SwitchesModule } from './switches.module';
export { SwitchesService } from './switches.service';
export { SWITCH_NAMES, defaultSwitches, type SwitchName, type SwitchStates } from './switch-names';
