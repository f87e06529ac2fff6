export { Shop, ALL_COMPONENTS, type Component, type Placement, type ShopOptions, type ShopUrls } from './shop';
export { ShopProcess, type ProcessSpec, type ProcessState } from './shop-process';
export { startControlServer, type ControlExtras, type HostView } from './control-server';
