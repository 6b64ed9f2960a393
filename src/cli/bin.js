#!/usr/bin/env node
// package.json's bin: the CLI is TypeScript run through tsx's loader (no build step), as `npm run tether` does.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
