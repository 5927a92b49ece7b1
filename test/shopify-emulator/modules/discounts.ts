// Code discounts: discountCodeBasicCreate, codeDiscountNode, redemptions. (Filled in by the campaigns work.)
import type { EmulatorModule } from "../engine";

export const discountsModule: EmulatorModule = {
  name: "discounts",
  register() {},
};
