// What the fuzzer knows of each vendor's bulk endpoint: every registered vendor's test kit (src/vendors/<v>/<v>.testkit.ts).
import { KITS, type VendorTestKit } from '../kit/vendor-kit.js';

export type FuzzTarget = VendorTestKit;

export const FUZZ_TARGETS: readonly FuzzTarget[] = KITS;
