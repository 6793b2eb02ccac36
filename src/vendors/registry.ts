// The one list of vendors the sandbox serves: adding a vendor is one folder and one line here.
import type { VendorModule } from '../core/vendor.js';
import { cora } from './cora/index.js';

export const VENDORS: readonly VendorModule[] = [cora];
