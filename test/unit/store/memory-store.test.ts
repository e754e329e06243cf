import { MemoryStore } from '../../../src/store/memory/memory-store';
import { storeConformance } from '../../conformance/store-conformance';

storeConformance('memory', async () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});
