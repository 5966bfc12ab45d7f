// ESM twin of pack-smoke-echo.cjs (see there): the named ESM import is what is under test.
import { Worker } from 'netwright';
import smoke from './pack-smoke-echo.cjs';

smoke.run({ Worker }, 'esm');
