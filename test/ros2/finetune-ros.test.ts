/**
 * launch/finetune.launch.xml under --ros: the finetune node fine-tunes a tiny IQL policy in MuJoCo while it
 * is a node on the real ROS 2 graph. ROS 2's own CLI sees the node, reads its real-valued parameters as
 * doubles (also one given as a whole number), receives its evaluations and final status on /diagnostics, and
 * finds no node after SIGINT.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { tinyPackage } from "../fixtures/tiny-package.js";
import { describeRos2, nodeList, ros2Env, run, startTether, waitUntil, type Proc } from "./ros2-env.js";

const DOMAIN = 91;

describeRos2("finetune.launch.xml under --ros", () => {
  const root = mkdtempSync(join(tmpdir(), "tether-ros2-finetune-"));
  let datasetDir: string;
  let modelDir: string;
  /** A second copy for the interrupted run, so its run folder is the only one under finetune/. */
  const model = join(root, "iql-stop");
  let launch: Proc | undefined;

  beforeAll(async () => {
    ({ datasetDir, modelDir } = await tinyPackage(root, { robot: "reacher2", episodes: 2 }));
    cpSync(modelDir, model, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await launch?.interrupt();
    rmSync(root, { recursive: true, force: true });
  });

  it("runs as a ROS 2 node, publishes its evaluations and result, and leaves no node after SIGINT", async () => {
    const env = ros2Env(DOMAIN);
    launch = startTether(
      [
        "launch",
        "launch/finetune.launch.xml",
        "--ros",
        `model:=${modelDir}`,
        `dataset:=${datasetDir}`,
        "env_steps:=40",
        "eval_every:=20",
        "eval_episodes:=1",
        // A whole number for a real-valued parameter: ros2 launch would make it an integer.
        "ratio:=1",
        "updates_per_step:=0.1",
      ],
      env,
    );
    await waitUntil(
      async () => (await nodeList(env)).join(" ") === "/finetune",
      "/finetune in ros2 node list",
      90_000,
    );
    const get = async (name: string) =>
      (await run("ros2", ["param", "get", "--no-daemon", "/finetune", name], env)).out.trim();
    expect(await get("ratio")).toBe("Double value is: 1.0");
    expect(await get("updates_per_step")).toBe("Double value is: 0.1");
    expect(await get("max_delta")).toMatch(/^Double value is: /);
    expect(await get("env_steps")).toBe("Integer value is: 40");
    expect(await get("model")).toBe(`String value is: ${modelDir}`);

    // After the run the node repeats its final status every second: ROS 2's echo receives it.
    await launch.waitFor(/finetune: done, 40 env steps/, 120_000);
    const diag = await run(
      "ros2",
      ["topic", "echo", "--once", "--no-daemon", "/diagnostics", "diagnostic_msgs/msg/DiagnosticArray"],
      env,
    );
    expect(diag.code, diag.out).toBe(0);
    expect(diag.out).toMatch(/name: tether\/finetune/);
    expect(diag.out).toMatch(/message: 'done: gain .*, 0 violations'/);
    const resultFile = /key: result\n\s+value: (\S+)/.exec(diag.out)?.[1];
    expect(resultFile, diag.out).toBeDefined();
    expect(existsSync(resultFile!)).toBe(true);
    const result = JSON.parse(readFileSync(resultFile!, "utf8")) as {
      env_steps: number;
      curve: { env_step: number }[];
    };
    expect(result.env_steps).toBe(40);
    expect(result.curve.map((p) => p.env_step)).toEqual([0, 20, 40]);
    // Each evaluation was logged as it was published.
    expect(launch.output()).toMatch(/finetune: step 20 score /);

    expect(await launch.interrupt()).toBe(0);
    expect(await nodeList(env)).toEqual([]);
  }, 240_000);

  it("stops a long run early on SIGINT, writes its result and leaves no node", async () => {
    const env = ros2Env(DOMAIN);
    const proc = startTether(
      [
        "launch",
        "launch/finetune.launch.xml",
        "--ros",
        `model:=${model}`,
        `dataset:=${datasetDir}`,
        "env_steps:=1000000",
        "eval_every:=0",
        "eval_episodes:=1",
      ],
      env,
    );
    launch = proc;
    await waitUntil(
      async () => (await nodeList(env)).join(" ") === "/finetune",
      "/finetune in ros2 node list",
      90_000,
    );
    // The first evaluation (env step 0) comes before any training step.
    await proc.waitFor(/finetune: step 0 score /, 120_000);
    expect(await proc.interrupt()).toBe(0);
    expect(await nodeList(env)).toEqual([]);
    const runs = readdirSync(join(model, "finetune"));
    expect(runs).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(model, "finetune", runs[0], "result.json"), "utf8")) as {
      env_steps: number;
    };
    expect(result.env_steps).toBeGreaterThanOrEqual(0);
    expect(result.env_steps).toBeLessThan(1_000_000);
  }, 240_000);
});
