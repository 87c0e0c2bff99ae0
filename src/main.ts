// `npm start`: the service with its configuration from the environment. Logic lives in serve.ts.
import { serve } from './serve';

void serve(process);
