export { EdgewatchService, type ServiceOptions, type BoundPorts } from './service';
export { loadConfig, configWith, type Config } from './config/config';
export type { Alert } from './core/alert';
export type { BaselineStore } from './store/store';
