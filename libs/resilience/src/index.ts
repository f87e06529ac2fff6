export { ResilienceModule } from './resilience.module';
