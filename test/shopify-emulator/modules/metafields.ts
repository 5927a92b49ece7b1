// Metafields and metafield definitions (loyalty points on customers). (Filled in by the points work.)
import type { EmulatorModule } from "../engine";

export const metafieldsModule: EmulatorModule = {
  name: "metafields",
  register() {},
};
