// The one list of vendors the sandbox serves: adding a vendor is one folder and one line here.
import type { VendorModule } from '../core/vendor.js';
import { cora } from './cora/index.js';
import { copper } from './copper/index.js';
import { propel } from './propel/index.js';
import { mailingcore } from './mailingcore/index.js';

export const VENDORS: readonly VendorModule[] = [cora, copper, propel, mailingcore];
