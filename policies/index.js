// Entry the Pulumi CLI loads for `--policy-pack policies` (package.json "main"). @pulumi/pulumi's run-policy-pack
// always registers ts-node with type-checking and then require()s the pack; `.ts` import paths fail there (TS5097).
// Loaded through this ESM file instead, the pack's TypeScript sources run on Node's own type stripping, exactly as
// the rest of the project does (Node >= 22.12 can require() an ES module without top-level await).
import "./index.ts";
