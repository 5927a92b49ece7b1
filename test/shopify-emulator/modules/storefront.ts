// Storefront: signed app proxy requests and a page rendering the theme app embed. (Filled in by the points work.)
import type { EmulatorModule } from "../engine";

export const storefrontModule: EmulatorModule = {
  name: "storefront",
  register() {},
  routes: [],
};
