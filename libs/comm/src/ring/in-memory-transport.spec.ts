import { InMemoryTransport } from './in-memory-transport.ts';
import { describeRingConformance } from './ring-conformance.ts';

describeRingConformance('InMemoryTransport', async (worldSize) => InMemoryTransport.createRing({ worldSize, lanes: 3 }), {
  maxWorldSize: 8,
  maxLength: 300,
  propertyRuns: 200,
});
