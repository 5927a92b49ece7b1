// Customer marketing for win-back campaigns: tags, segments, email consent, Flow triggers,
// staged uploads and bulk mutations. (Filled in by the campaigns work.)
import type { EmulatorModule } from "../engine";

export const marketingModule: EmulatorModule = {
  name: "marketing",
  register() {},
};
