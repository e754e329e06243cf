import type { BaselineStore } from '../../src/store/store';
import { contextConformance } from './context-conformance';
import { forgetConformance } from './forget-conformance';
import { guardedEnqueueConformance } from './guarded-enqueue-conformance';
import { leaseConformance } from './lease-conformance';
import { pruneConformance } from './prune-conformance';
import { scanConformance } from './scan-conformance';
import { scopesConformance } from './scopes-conformance';
import { stormConformance } from './storm-conformance';
import { trafficAnomaliesConformance } from './traffic-anomalies-conformance';
import { trafficMomentsConformance } from './traffic-moments-conformance';
import { triageConformance } from './triage-conformance';

/**
 * Conformance cases of one store feature each, registered inside storeConformance's describe:
 * `store()` is the fresh, initialised store of the running test (sinks SINKS). Add a feature's
 * suite here as one import and one entry.
 */
export type FeatureSuite = (store: () => BaselineStore) => void;

export const FEATURE_SUITES: FeatureSuite[] = [contextConformance, leaseConformance, forgetConformance, scanConformance, stormConformance, triageConformance, scopesConformance, pruneConformance, trafficAnomaliesConformance, guardedEnqueueConformance, trafficMomentsConformance];
