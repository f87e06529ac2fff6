export { up, down, prune, status, imageSizes, type ComposeShop } from './compose-shop';
export { dockerUnavailable } from './engine';
export { COMPOSE_PORTS } from './project';
export { containers } from './project';
