import { InProcessBus } from '../../../src/streaming/in-process-bus';
import { inboundSuite } from './inbound-suite';

inboundSuite('in-process', { create: async () => new InProcessBus({ retryMs: 10, maxRetryMs: 200 }) });
