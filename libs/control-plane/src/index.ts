export {
  CONTROL_TOKEN_VARIABLE,
  controlTokenFile,
  createControlToken,
  checkTokenFormat,
  tokenMatches,
  writeControlTokenFile,
  readControlTokenFile,
  resolveControlToken,
  type ResolvedControlToken,
} from './control-token';
export {
  checkControlRequest,
  isStateChanging,
  controlTokenHint,
  DEFAULT_TOKEN_HINT,
  type ControlPolicy,
  type ControlRefusal,
  type ControlRequestLike,
} from './control-request';
export { readJsonBody, type JsonBody } from './json-body';
export { controlHeaders, CONTROL_TOKEN_PAGE_SCRIPT } from './control-client';
export { ControlPlaneModule } from './control-plane.module';
export { ControlPlaneGuard } from './control-plane.guard';
export { CONTROL_PLANE_OPTIONS, type ControlPlaneOptions } from './control-plane.module-definition';
export {
  controlRequest,
  HOSTILE_CONTROL_CALLS,
  type ControlCall,
  type ControlAnswer,
  type HostileControlCall,
} from './testing/control-calls';
