import { Testing } from '../lib/private/cdk';

Testing.setupJest();
