import { join } from "node:path";
import { loadRobot } from "../../../src/robot/load.js";

export const FIXTURES = join(import.meta.dirname, "fixtures");
export const ARM2_DIR = join(FIXTURES, "arm2");
export const arm2 = () => loadRobot(ARM2_DIR);
